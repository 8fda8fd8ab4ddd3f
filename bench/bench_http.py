"""The local API over HTTP: what it adds to a request, keep-alive against new connections, throughput with wrk.

10,000 books and a few members in a scratch database; the local API (8 workers per function) on an ephemeral
port of 127.0.0.1.

1. The same request, GET /books?page_size=20, in this process (the books function's handler) and through the
   local API on one kept-alive connection and on a new connection each time, interleaved request by request
   (in process, kept alive, new) so that the machine's drift touches all three alike. What the local API
   adds is the difference of the medians.
2. wrk at 8 connections for GET /books page 1, kept alive and with `Connection: close`, alternated.
3. wrk at 8 connections, each a member borrowing a title of its own and returning it at once (bench/wrk_loans.lua):
   borrow + return cycles per second, counted in the database.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text

from bench.support import scratch_database
from library_common import db, tokens
from tests.conftest import LambdaContext, load_event
from tests.http.client import call

BOOKS = 10_000
CONNECTIONS = 8
WRK_SECONDS = 8
WRK_REPETITIONS = 2
# wrk stops with requests in flight: a borrow it never saw answered leaves its member a loan the script cannot
# return, so each run of the borrow + return load has members and titles of its own.
MEMBERS = CONNECTIONS * WRK_REPETITIONS
INTERLEAVED_ROUNDS = 300
WARM_UP = 30
TARGET_ADDED_MS = 0.5
LIST_PATH = "/books?page_size=20"
LOANS_SCRIPT = Path(__file__).with_name("wrk_loans.lua")
SEED = [
    f"""INSERT INTO books (title, author, genre, quantity)
        SELECT 'Title ' || n, 'Author ' || (n % 300), 'Genre ' || (n % 20), 1 + n % 3
        FROM generate_series(1, {BOOKS}) n""",
    f"""INSERT INTO users (name, email, password_hash, role, is_active)
        SELECT 'Member ' || n, 'member' || n || '@bench.example', 'x', 'member', true
        FROM generate_series(1, {MEMBERS}) n""",
    # One title per member with copies to spare, so a member's borrow never waits for another's return.
    f"""INSERT INTO books (title, author, quantity)
        SELECT 'Cycle ' || n, 'Author', 100 FROM generate_series(1, {MEMBERS}) n""",
    "VACUUM ANALYZE",
]


def _list_event() -> dict:
    event = load_event("books/list_books.json")
    event["queryStringParameters"] = {"page_size": "20"}
    event["multiValueQueryStringParameters"] = {"page_size": ["20"]}
    return event


def _get(connection: http.client.HTTPConnection, path: str, close: bool = False) -> None:
    connection.request("GET", path, headers={"Connection": "close"} if close else {})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (the local API's workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    # Children are listed under the thread that started them: the gateway's request threads start workers.
    children = [
        child for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]
    return total + sum(_cpu_seconds(int(child)) for child in children)


def interleaved(url: str, gateway_pid: int) -> dict[str, float]:
    """Median milliseconds of the same list request in process, on a kept-alive connection and on new ones,
    and the CPU per request of each side."""
    from library_books.app import lambda_handler

    host, port = urlsplit(url).hostname, urlsplit(url).port
    kept = http.client.HTTPConnection(host, port, timeout=30)
    event = _list_event()

    def in_process() -> None:
        response = lambda_handler(event, LambdaContext())
        assert response["statusCode"] == 200, response["body"]

    def kept_alive() -> None:
        _get(kept, LIST_PATH)

    def new_connection() -> None:
        fresh = http.client.HTTPConnection(host, port, timeout=30)
        _get(fresh, LIST_PATH, close=True)
        fresh.close()

    ways = {"in process": in_process, "local API, kept alive": kept_alive, "local API, new connection": new_connection}
    samples: dict[str, list[float]] = {name: [] for name in ways}
    in_process_cpu = 0.0
    for round_number in range(WARM_UP + INTERLEAVED_ROUNDS):
        if round_number == WARM_UP:
            gateway_cpu = _cpu_seconds(gateway_pid)
        for name, way in ways.items():
            cpu, started = time.process_time(), time.perf_counter()
            way()
            elapsed = time.perf_counter() - started
            if round_number >= WARM_UP:
                samples[name].append(elapsed)
                in_process_cpu += time.process_time() - cpu if name == "in process" else 0.0
    gateway_cpu = _cpu_seconds(gateway_pid) - gateway_cpu
    kept.close()
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    medians["cpu in process"] = in_process_cpu / INTERLEAVED_ROUNDS * 1000
    medians["cpu local API"] = gateway_cpu / (2 * INTERLEAVED_ROUNDS) * 1000
    return medians


def _wrk(url: str, *arguments: str, script: Path | None = None, environment: dict | None = None) -> dict[str, float]:
    # A long timeout: a request wrk gave up on would still borrow, and leave its member's loan unknown to the script.
    shape = (
        ["-t2", f"-c{CONNECTIONS}"] if script is None else [f"-t{CONNECTIONS}", f"-c{CONNECTIONS}", "-s", str(script)]
    )
    command = ["wrk", *shape, f"-d{WRK_SECONDS}s", "--timeout", "60s", "--latency", *arguments]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env={**os.environ, **(environment or {})}
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "p50": float(p50.group(1)) * scale, "non_2xx": int(errors.group(1)) if errors else 0}


def _returned_loans() -> int:
    with db.transaction() as session:
        return session.scalar(text("SELECT count(*) FROM loans WHERE returned_on IS NOT NULL"))


def _start_workers(url: str, member_tokens: list[str]) -> None:
    """Every books, loans and authorizer worker started and warm before the clock runs: as many requests at
    once as the local API has workers per function, twice."""
    first_cycle_title = BOOKS + 1

    def cycle(token: str, title: int) -> None:
        borrowed = call(url, "POST", "/loans", json_body={"book_id": title}, token=token)
        call(url, "GET", LIST_PATH)
        call(url, "POST", f"/loans/{borrowed.body['data']['id']}/return", token=token)

    for _ in range(2):
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            list(pool.map(cycle, member_tokens, range(first_cycle_title, first_cycle_title + CONNECTIONS)))


def throughput(url: str) -> dict[str, list[dict[str, float]]]:
    member_tokens = [tokens.issue_access_token(m, "member", []) for m in range(1, MEMBERS + 1)]
    _start_workers(url, member_tokens)
    runs: dict[str, list[dict[str, float]]] = {"kept alive": [], "Connection: close": [], "borrow + return": []}
    for repetition in range(WRK_REPETITIONS):
        runs["kept alive"].append(_wrk(url + "/books"))
        runs["Connection: close"].append(_wrk(url + "/books", "-H", "Connection: close"))
        first_member = repetition * CONNECTIONS
        loans_environment = {
            "BENCH_TOKENS": ",".join(member_tokens[first_member : first_member + CONNECTIONS]),
            "BENCH_FIRST_BOOK": str(BOOKS + 1 + first_member),
        }
        before = _returned_loans()
        figures = _wrk(url, script=LOANS_SCRIPT, environment=loans_environment)
        figures["cycles"] = (_returned_loans() - before) / WRK_SECONDS
        runs["borrow + return"].append(figures)
    return runs


GATEWAY = """
import sys
from devtools.local_api import Server
server = Server(dict(__import__("os").environ), port=int(sys.argv[1])).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def run() -> str:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    with scratch_database() as url:
        with db.get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in SEED:
                connection.execute(text(statement))
        environment = {**os.environ, "DATABASE_URL": url, "POWERTOOLS_LOG_LEVEL": "ERROR", "LOCAL_API_QUIET": "1"}
        # Its own process, as under `make run`: the client here shares neither its interpreter nor its GIL.
        gateway = subprocess.Popen(
            [sys.executable, "-c", GATEWAY, str(_free_port())],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            gateway_url = gateway.stdout.readline().strip()
            medians = interleaved(gateway_url, gateway.pid)
            runs = throughput(gateway_url)
        finally:
            gateway.stdin.close()
            gateway.wait(30)
    return _markdown(medians, runs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _markdown(medians: dict[str, float], runs: dict[str, list[dict[str, float]]]) -> str:
    base = medians["in process"]
    lines = [
        f"{BOOKS:,} books. `GET {LIST_PATH}` {INTERLEAVED_ROUNDS} times each way after {WARM_UP} warm-up rounds, "
        "interleaved request by request:",
        "",
        "| way | median ms | added to in process, ms |",
        "|---|---:|---:|",
        *(
            f"| {name} | {median:.2f} | {median - base:+.2f} |"
            for name, median in medians.items()
            if not name.startswith("cpu")
        ),
        "",
        f"CPU per request (user + system, the operating system's accounting): {medians['cpu in process']:.2f} ms "
        f"for the handler in process; {medians['cpu local API']:.2f} ms for the local API's process and its "
        "workers together per HTTP request, so the local API's own CPU is "
        f"{medians['cpu local API'] - medians['cpu in process']:.2f} ms a request. The wall-clock difference "
        "also counts the four hand-offs between processes (client, gateway, worker and back), each a wake-up "
        "that waits for a free core when the machine is busy.",
        "",
    ]
    return "\n".join(lines + _targets_and_load(medians, runs))


def _targets_and_load(medians: dict[str, float], runs: dict[str, list[dict[str, float]]]) -> list[str]:
    added = medians["local API, kept alive"] - medians["in process"]
    kept_vs_new = medians["local API, kept alive"] / medians["local API, new connection"]
    lines = [
        f"- Target: the local API adds at most {TARGET_ADDED_MS} ms (kept alive): {added:.2f} ms — "
        f"**{'met' if added <= TARGET_ADDED_MS else 'NOT met'}**.",
        f"- Target: kept alive at least as fast as new connections: {kept_vs_new:.2f}x the new connection's "
        f"median — **{'met' if kept_vs_new <= 1.0 else 'NOT met'}**.",
        "",
        f"wrk, 8 connections, {WRK_SECONDS} s a run, {WRK_REPETITIONS} runs of each alternated (list: 2 threads; "
        f"borrow + return: {CONNECTIONS} threads, one member each, bench/wrk_loans.lua):",
        "",
        "| load | run | requests/s | p50 ms | non-2xx | borrow + return cycles/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, figures in runs.items():
        for number, run_figures in enumerate(figures, 1):
            cycles = f"{run_figures['cycles']:.1f}" if "cycles" in run_figures else "-"
            lines.append(
                f"| {name} | {number} | {run_figures['rate']:.0f} | {run_figures['p50']:.1f} "
                f"| {run_figures['non_2xx']:.0f} | {cycles} |"
            )
    return lines
