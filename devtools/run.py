"""`make run`: database up, migrated, first admin in place, then the local API on 127.0.0.1:$PORT."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from devtools import database
from devtools.local_api import Server
from devtools.template import ROOT
from library_common import settings

# Built by `make console` (which `make run` calls when npm is there) into the console function's package.
CONSOLE_INDEX = ROOT / "functions" / "console" / "library_console" / "static" / "index.html"


def main() -> None:
    admin_email = settings.admin_email(os.environ.get("ADMIN_EMAIL", "admin@library.local"))
    data_dir = Path(os.environ.get("LIBRARY_DATA_DIR", ".data")).resolve()
    server_url = database.server_url(data_dir)
    url = database.ensure_database(server_url, os.environ.get("DATABASE_NAME", "library"))
    database.migrate_database(url)

    generated = database.ensure_admin(url, admin_email, os.environ.get("ADMIN_PASSWORD"))
    if generated:
        print(
            f"Created the first admin: {admin_email} / {generated}  (change it at first login: PATCH /auth; "
            "set ADMIN_EMAIL / ADMIN_PASSWORD to choose)"
        )
    else:
        print(f"Admin account: {admin_email}")
    if os.environ.get("DEMO_DATA") == "1":
        from devtools.import_books import load_sample_if_empty  # only demo runs need the books package

        loaded = load_sample_if_empty(url)
        print(f"Loaded {loaded} sample books" if loaded is not None else "The catalogue has books: no sample loaded")

    environment = {
        **os.environ,
        "DATABASE_URL": database.as_environment_value(url),
        "LIBRARY_DATA_DIR": str(data_dir),
    }
    port = int(os.environ.get("PORT", "3000"))
    server = Server(environment, port=port).start()
    print(f"Library API on {server.url}  (docs: {server.url}/docs)  Ctrl-C stops it.", flush=True)
    if CONSOLE_INDEX.is_file():
        print(f"Web console on {server.url}/", flush=True)
    else:
        print("No web console: it needs Node.js 20 and npm to build (then make console).", flush=True)

    stopping = threading.Event()
    # Set explicitly: a process started in the background inherits SIGINT ignored, and Ctrl-C must still work.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    try:
        stopping.wait()
    finally:
        print("Stopping...", flush=True)
        server.stop()
        # The embedded PostgreSQL stops at exit (pgserver's atexit hook) once no other process uses it.


if __name__ == "__main__":
    main()
