"""python -m devtools.sam_local up | down | invoke FUNCTION EVENT | check  (see the Makefile's sam-* targets)."""

from __future__ import annotations

import subprocess
import sys

from devtools.sam_local import stack
from devtools.template import ROOT


def invoke(function: str, event: str) -> int:
    stack.up()
    # The options come from samconfig.toml: the local build, env.json, the offline image.
    command = [stack.sam_binary(), "local", "invoke", function, "--event", event]
    print("==", " ".join(["sam", *command[1:]]), flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(arguments: list[str]) -> int:
    match arguments:
        case ["up"]:
            stack.up()
            print("== up: sam local invoke|start-api|start-lambda now work here; make sam-local-down stops it all")
            return 0
        case ["down"]:
            stack.down()
            return 0
        case ["invoke", function, event]:
            return invoke(function, event)
        case ["check"]:
            from devtools.sam_local import check

            return check.main()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
