"""What `sam local` needs on this machine, brought up once and torn down by PID: dockerd (reused when one already
answers), the offline Lambda base image, `sam build` for this machine's architecture, the database on docker's
bridge gateway (migrated, with the first admin) and env.json.

`up` leaves them running for `sam local invoke ... --env-vars env.json` (and `make invoke`); `down` stops what `up`
started, by the PIDs it recorded under LIBRARY_DATA_DIR/sam-local.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import make_url

from devtools import database
from devtools.sam_local import env_json, gateway_database
from devtools.template import ROOT

HERE = Path(__file__).resolve().parent
BUILD_DIR = ROOT / ".aws-sam" / "local-build"
ENV_JSON = ROOT / "env.json"
DATABASE_PORT = int(os.environ.get("SAM_LOCAL_DATABASE_PORT", "31354"))
DATABASE_NAME = "library"
# What a `sam build` depends on: when none of it changed since the last local build, that build is reused.
BUILD_INPUTS = ("template.yaml", "functions", "layers")


@dataclass(frozen=True)
class Stack:
    state_dir: Path
    architecture: str
    gateway: str
    container_database_url: str  # as the functions in their containers reach it
    host_database_url: str  # as this machine reaches it


def local_architecture() -> str:
    """This machine's architecture under its Lambda name: local runs never emulate another one."""
    machine = platform.machine()
    return {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine) or sys.exit(
        f"Lambda has no {machine} architecture"
    )


def state_dir() -> Path:
    folder = Path(os.environ.get("LIBRARY_DATA_DIR", ROOT / ".data")).resolve() / "sam-local"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sam_binary() -> str:
    return str(Path(sys.executable).parent / "sam")


def _step(message: str) -> None:
    print(f"== {message}", flush=True)


def bridge_gateway() -> str:
    """docker0's address: the host as containers on the default bridge see it."""
    output = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True).stdout
    fields = output.split()
    if "inet" not in fields:
        sys.exit("docker's bridge (docker0) has no IPv4 address: is dockerd running?")
    return fields[fields.index("inet") + 1].split("/")[0]


def _tree_hash(*names: str) -> str:
    digest = hashlib.sha256()
    for name in names:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def runtime_python() -> str:
    """The CPython 3.12 the base image runs, so the layer's bytecode is compiled by the same version."""
    home = os.environ.get("LAMBDA_PYTHON_HOME") or max(
        (str(p) for p in Path.home().glob(".pyenv/versions/3.12.*")), default=""
    )
    return str(Path(home) / "bin" / "python3.12")


def sam_build(architecture: str) -> None:
    stamp = BUILD_DIR / ".inputs-hash"
    inputs = _tree_hash(*BUILD_INPUTS) + architecture
    if stamp.exists() and stamp.read_text() == inputs:
        _step(f"sam build ({architecture}): up to date in {BUILD_DIR.relative_to(ROOT)}")
    else:
        _build(architecture)
        stamp.write_text(inputs)
    # Every time (it is idempotent): the adaptation may have changed while the build did not.
    mixed = prepare_for_sam(BUILD_DIR / "template.yaml")
    if mixed:
        _step(f"local build: the authorizer linked by its function; the functions check tokens on {', '.join(mixed)}")


def _build(architecture: str) -> None:
    started = time.monotonic()
    wheels = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}[architecture]
    environment = {
        **os.environ,
        "LAYER_PLATFORM": wheels,
        "COMPILE_PYTHON": runtime_python(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    command = [sam_binary(), "build", "--build-dir", str(BUILD_DIR), "--parameter-overrides"]
    subprocess.run(
        [*command, f"Architecture={architecture}"], check=True, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL
    )
    _step(f"sam build ({architecture}) in {time.monotonic() - started:.0f} s")


def admin_email() -> str:
    return os.environ.get("ADMIN_EMAIL", "admin@library.local")


def _link_authorizers(document: dict) -> None:
    """Points each Lambda authorizer at its function rather than at its alias. The deployment uses the alias
    (SnapStart's published version), but `sam local start-api` only links an authorizer whose function it can read
    out of an ARN; given an alias reference it warns and runs every route unauthorised."""
    for resource in document["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Api":
            continue
        for authorizer in resource["Properties"].get("Auth", {}).get("Authorizers", {}).values():
            target = authorizer.get("FunctionArn", {})
            if isinstance(target, dict) and str(target.get("Ref", "")).endswith(".Alias"):
                authorizer["FunctionArn"] = {"Fn::GetAtt": [target["Ref"].split(".")[0], "Arn"]}


def _public_where_sam_merges(document: dict) -> list[str]:
    """SAM's emulator merges the methods one function serves on one path into one route with one authorizer (the
    last event's), so a path with a public method (POST /auth, GET /books) would have it refused, or its
    protected methods left open. There, every method is made public: the function itself then checks the bearer
    token, as it does on any public route (library_common.api), and the authorizer runs on every other path."""
    events_by_path: dict[tuple[str, str], list[dict]] = {}
    for logical_id, resource in document["Resources"].items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "Api":
                events_by_path.setdefault((logical_id, event["Properties"]["Path"]), []).append(event["Properties"])
    mixed = []
    for (_, path), events in events_by_path.items():
        public = [(e.get("Auth") or {}).get("Authorizer") == "NONE" for e in events]
        if any(public) and not all(public):
            mixed.append(path)
            for event in events:
                event["Auth"] = {"Authorizer": "NONE"}
    return sorted(mixed)


def prepare_for_sam(built_template: Path) -> list[str]:
    """Adapts the local build's template to what SAM's emulator can express; returns the paths made public."""
    document = yaml.safe_load(built_template.read_text())
    _link_authorizers(document)
    mixed = _public_where_sam_merges(document)
    # JSON is YAML too, and dumps whatever mapping type the loader produced (SAM CLI's loader gives OrderedDicts).
    built_template.write_text(json.dumps(document, indent=1))
    return mixed


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    return True


def start_database(folder: Path, gateway: str) -> str:
    """Our PostgreSQL on the gateway (started unless its PID file names a live one); its URL from this machine."""
    pid_file = folder / "postgres.pid"
    if not _alive(pid_file):
        process, _ = gateway_database.start(folder / "pg", gateway, DATABASE_PORT)
        pid_file.write_text(str(process.pid))
        _step(f"PostgreSQL on {gateway}:{DATABASE_PORT} and 127.0.0.1 (PID {process.pid})")
    return f"postgresql://postgres@127.0.0.1:{DATABASE_PORT}/{DATABASE_NAME}"


def up() -> Stack:
    folder = state_dir()
    architecture = local_architecture()
    subprocess.run([str(HERE / "dockerd.sh"), "start", str(folder)], check=True)
    # Both wait on the network (Debian's mirror, PyPI): side by side.
    image = subprocess.Popen([str(HERE / "base_image.sh"), architecture])
    try:
        sam_build(architecture)
    finally:
        if image.wait() != 0:
            sys.exit(f"building the Lambda base image failed ({image.returncode})")
    gateway = bridge_gateway()
    configured = os.environ.get("DATABASE_URL")
    if configured:
        # Its host must be one the containers reach (not 127.0.0.1: that is the container itself).
        host_url = container_url = configured
    else:
        host_url = start_database(folder, gateway)
        # Plain TCP on docker's private bridge: the server has no certificate (see library_common.db).
        container_url = host_url.replace("127.0.0.1", gateway, 1) + "?sslmode=disable"
    url = database.ensure_database(make_url(host_url).set(drivername="postgresql+pg8000"), DATABASE_NAME)
    database.migrate_database(url)
    database.ensure_admin(url, admin_email(), os.environ.get("ADMIN_PASSWORD"))
    env_json.write(ENV_JSON, container_url, Path(os.environ.get("LIBRARY_DATA_DIR", ROOT / ".data")), admin_email())
    _step(f"env.json: every function on {container_url}, signing with the `make run` key")
    return Stack(folder, architecture, gateway, container_url, host_url)


def running() -> dict[str, bool]:
    """Which of the services `up` starts are already running (so that a caller stops only those it started)."""
    folder = state_dir()
    return {"database": _alive(folder / "postgres.pid"), "dockerd": _alive(folder / "dockerd.pid")}


def _stop(pid_file: Path, what: str, sig: int) -> None:
    pid = int(pid_file.read_text())
    os.kill(pid, sig)
    for _ in range(60):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child: reap it
                break
        except ChildProcessError:
            pass
        if not _alive(pid_file):
            break
        time.sleep(0.5)
    pid_file.unlink(missing_ok=True)
    _step(f"{what} (PID {pid}) stopped")


def down(keep: dict[str, bool] | None = None) -> None:
    """Stops what `up` started, each by the PID it recorded: the database, then dockerd (never one `up` reused);
    `keep` names those that were running before and stay."""
    keep = keep or {}
    folder = state_dir()
    # SAM rebuilds its image with the local layer in each process and leaves the one before untagged (~260 MB).
    subprocess.run(["docker", "image", "prune", "--force"], capture_output=True, check=False)
    if not keep.get("database") and _alive(folder / "postgres.pid"):
        _stop(folder / "postgres.pid", "PostgreSQL", signal.SIGINT)
    if not keep.get("dockerd"):
        subprocess.run([str(HERE / "dockerd.sh"), "stop", str(folder)], check=True)
