"""The PostgreSQL that functions in SAM's containers use: the embedded server's binaries (pgserver), its own data
directory, listening on docker's bridge gateway (which containers reach) and on 127.0.0.1 (for migrating)."""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from pathlib import Path

from sqlalchemy import URL

SERVER_USER = "pgserver"  # the user pgserver itself runs PostgreSQL as when started by root


def _binary(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_server_user() -> dict[str, object]:
    """PostgreSQL refuses to run as root: as root, run it as pgserver's own user."""
    if os.geteuid() != 0:
        return {}
    from pgserver.utils import ensure_user_exists

    ensure_user_exists(SERVER_USER)
    return {"user": SERVER_USER}


def _initialise(data_dir: Path, gateway: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    account = _as_server_user()
    if account:
        entry = pwd.getpwnam(SERVER_USER)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    subprocess.run(
        [_binary("initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        **account,
    )
    # Trust, as the test databases do, but only from loopback and docker's bridge network.
    network = gateway.rsplit(".", 2)[0] + ".0.0/16"
    with (data_dir / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {network} trust\n")


def start(data_dir: Path, gateway: str, port: int) -> tuple[subprocess.Popen, URL]:
    """Starts the server (initialising its data directory the first time); the caller stops the process."""
    if not (data_dir / "PG_VERSION").exists():
        _initialise(data_dir, gateway)
    log = (data_dir.parent / "postgres.log").open("w")
    process = subprocess.Popen(
        [_binary("postgres"), "-D", str(data_dir), "-h", f"127.0.0.1,{gateway}", "-p", str(port), "-k", ""],
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own session: it outlives `make invoke` and is stopped by its PID (`make sam-local-down`).
        start_new_session=True,
        **_as_server_user(),
    )
    for _ in range(60):
        if (
            subprocess.run([_binary("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode
            == 0
        ):
            return process, URL.create("postgresql+pg8000", username="postgres", host="127.0.0.1", port=port)
        if process.poll() is not None:
            break
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"PostgreSQL did not start on {gateway}:{port}: see {log.name}")


def stop(process: subprocess.Popen) -> None:
    """A fast shutdown (SIGINT): open sessions are ended, the data stays."""
    if process.poll() is None:
        process.send_signal(2)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
