"""A function's cold start without the garbage collector walking what the function's imports make.

The imports of an API function make ~135,000 objects that live as long as the process; collecting while they are
made cost more than 10% of a cold start. A function's `app` module pauses collection before its imports, and
`api.lambda_handler_for`, which every such module calls last, resumes it.
"""

from __future__ import annotations

import gc


def pause_collection() -> None:
    gc.disable()


def resume_collection() -> None:
    """The function's modules are loaded: what they made is moved out of the collector's reach (`gc.freeze`: later
    collections, the first answer's included, no longer walk those long-lived objects), and collection resumes."""
    gc.freeze()
    gc.enable()
