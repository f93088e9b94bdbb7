"""Ingest benchmark: binnr's HTTP upload and table preparation against raw DuckDB.

    python bench/ingest.py                 # 1,000,000 rows, a 0.2 GB file for the RSS check
    python bench/ingest.py --big-gb 1.0    # the full-size memory check

It makes a CSV (text-like columns and a label) in a temporary folder and, in one run, times

(a) ``POST /data/upload`` → job succeeded, against a ``binnr serve`` subprocess on a free port
    with a temporary ``BINNR_HOME``;
(b) DuckDB's own ``read_csv`` of the same file into a table (all columns VARCHAR);
(c) ``POST /data/create/tables/classification`` (template, validation split) against a
    hand-written DuckDB SQL pipeline doing the same work.

It prints the ratios (targets: (a)/(b) throughput ≥ 0.8, (c) ÷ SQL ≤ 1.3) and the server's peak
RSS (``VmHWM``) while a ``--big-gb`` file uploads (target < 1 GB). (a) and (b) run in interleaved
rounds (``--repeat``), each round printing its own ratio, wall-clock and per CPU-second (the
server's CPU time against DuckDB's), since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx

from procstat import cpu_seconds

WORDS = (  # noqa: SIM905
    "the a flight delayed great service awful crew seat bag lost thanks love hate today "
    "again never always late early gate boarding upgrade refund customer wait hours minutes "
    "happy sad angry okay fine best worst plane airport ticket change cancel weather snow"
).split()
LABELS = ["negative", "neutral", "positive"]
TEMPLATE = "Tweet: {text}"


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    client: httpx.Client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ROOT = Path(__file__).resolve().parents[1]
#: ``binnr`` from this checkout's ``src`` (the console script may import another copy).
BINNR = [sys.executable, "-c", "from binnr.cli import app; app()"]


@contextmanager
def serve(home: Path) -> Iterator[Server]:
    """``binnr serve`` on a free port with ``BINNR_HOME=home``; killed on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINNR_")}
    env.update({"BINNR_HOME": str(home), "BINNR_ENABLE_SQL": "true"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [*BINNR, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        cwd=str(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError((home / "server.log").read_text())
            try:
                if client.get("/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("binnr serve did not start")
            time.sleep(0.1)
        yield Server(url=str(client.base_url), process=process, client=client)
    finally:
        client.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def wait_job(client: httpx.Client, task_id: str) -> dict[str, Any]:
    """The job once it has ended, waited for on its event stream (``GET /jobs/{id}/events``):
    the server pushes the end as it happens, and no status polls compete with the job."""
    with client.stream("GET", f"/jobs/{task_id}/events") as events:
        for line in events.iter_lines():
            if line == "event: end":
                break
    job: dict[str, Any] = client.get(f"/jobs/status/{task_id}").json()
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {task_id} {job['status']}: {job['error']}")
    return job


def make_csv(path: Path, *, rows: int, seed: int = 0) -> int:
    """A CSV of ``rows`` rows: id, text (quoted, with commas), title, user, label (~7% blank)."""
    rng = random.Random(seed)
    texts = [
        '"' + " ".join(rng.choices(WORDS, k=rng.randint(8, 24))).replace(" ", ", ", 1) + '"'
        for _ in range(4096)
    ]
    titles = [" ".join(rng.choices(WORDS, k=3)) for _ in range(512)]
    picks = [rng.randrange(1 << 30) for _ in range(8192)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id,Text,Title,user_name,Label\n")
        chunk: list[str] = []
        for i in range(rows):
            r = picks[i & 8191] ^ i
            label = LABELS[r % 3] if (r >> 2) % 100 >= 7 else ""  # ~7% unlabelled
            chunk.append(f"{i},{texts[r & 4095]},{titles[r & 511]},user_{r % 9973},{label}\n")
            if len(chunk) == 50_000:
                fh.write("".join(chunk))
                chunk.clear()
        fh.write("".join(chunk))
    return path.stat().st_size


def grow_csv(source: Path, target: Path, *, size: int) -> int:
    """``target``: the header of ``source`` and its data rows repeated up to ``size`` bytes."""
    with source.open("rb") as fh:
        header = fh.readline()
        body = fh.read()
    with target.open("wb") as out:
        out.write(header)
        written = len(header)
        while written + len(body) <= size:
            out.write(body)
            written += len(body)
        out.write(body[: body.rfind(b"\n", 0, size - written) + 1])  # whole lines only
    return target.stat().st_size


def http_upload(server: Server, path: Path, table: str) -> tuple[float, dict[str, Any]]:
    """Seconds from the POST to the job's success, and the job (with ``transfer_s`` and the
    server's CPU seconds ``transfer_cpu`` / ``job_cpu``)."""
    cpu0, start = cpu_seconds(server.process.pid), time.perf_counter()
    with path.open("rb") as fh:
        response = server.client.post(
            "/data/upload", data={"table_name": table}, files={"file": (path.name, fh)}
        )
    response.raise_for_status()
    accepted, cpu1 = time.perf_counter(), cpu_seconds(server.process.pid)
    job = wait_job(server.client, response.json()["task_id"])
    job["transfer_s"] = accepted - start
    job["transfer_cpu"], job["job_cpu"] = cpu1 - cpu0, cpu_seconds(server.process.pid) - cpu1
    return time.perf_counter() - start, job


def job_seconds(job: dict[str, Any]) -> float:
    """The job's own run time (started → finished), from its record."""
    started = datetime.fromisoformat(job["started_at"].replace("Z", "+00:00"))
    finished = datetime.fromisoformat(job["finished_at"].replace("Z", "+00:00"))
    return (finished - started).total_seconds()


def http_prepare(client: httpx.Client, table: str) -> tuple[float, dict[str, Any]]:
    body = {
        "table_name": table,
        "source_columns": ["text"],
        "target_column": "label",
        "template": TEMPLATE,
        "create_validation": True,
        "seed": 0,
    }
    start = time.perf_counter()
    response = client.post("/data/create/tables/classification", json=body)
    response.raise_for_status()
    job = wait_job(client, response.json()["task_id"])
    return time.perf_counter() - start, job


CSV_COLUMNS = ["id", "text", "title", "user_name", "label"]


def duckdb_read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[float, float]:
    """(b): DuckDB's own reader, all VARCHAR, same dialect options as binnr; wall and CPU s."""
    columns = {c: "VARCHAR" for c in CSV_COLUMNS}
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(
        "CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv(?, header=true, delim=',', "
        "quote='\"', escape='\"', auto_detect=false, columns=?)",
        [str(path), columns],
    )
    return time.perf_counter() - start, time.process_time() - cpu


def duckdb_read_csv_like_binnr(con: duckdb.DuckDBPyConnection, path: Path) -> float:
    """(b'): the same reader with binnr's options (strict mode, rejects kept)."""
    columns = {c: "VARCHAR" for c in CSV_COLUMNS}
    start = time.perf_counter()
    con.execute(
        "CREATE OR REPLACE TABLE raw2 AS SELECT * FROM read_csv(?, header=true, delim=',', "
        "quote='\"', escape='\"', auto_detect=false, strict_mode=true, store_rejects=true, "
        "rejects_table='rej_e', rejects_scan='rej_s', max_line_size=8388608, columns=?)",
        [str(path), columns],
    )
    elapsed = time.perf_counter() - start
    con.execute("DROP TABLE raw2")
    return elapsed


SQL_PIPELINE = [
    # labels
    "CREATE OR REPLACE TABLE label_target AS SELECT label, ROW_NUMBER() OVER (ORDER BY label) "
    "AS label_number FROM (SELECT DISTINCT label FROM raw WHERE label IS NOT NULL "
    "AND TRIM(label) <> '')",
    # source_target with the template
    "CREATE OR REPLACE TABLE raw_source_target AS SELECT s.*, CONCAT('Tweet: ', "
    "COALESCE(s.text, '')) AS source, l.label_number AS target FROM raw s "
    "LEFT JOIN label_target l ON s.label = l.label",
    # stratified ~10% validation split, reproducible by hash
    "CREATE OR REPLACE TEMP TABLE ranked AS SELECT *, ROW_NUMBER() OVER (PARTITION BY target "
    "ORDER BY HASH(id, text, title, user_name, label, source, target, 0)) AS rn, "
    "ROUND(COUNT(*) OVER (PARTITION BY target) * 0.1) AS k FROM raw_source_target "
    "WHERE target IS NOT NULL",
    "CREATE OR REPLACE TABLE raw_source_target_train AS "
    "SELECT * EXCLUDE (rn, k) FROM ranked WHERE rn > k",
    "CREATE OR REPLACE TABLE raw_source_target_validation AS "
    "SELECT * EXCLUDE (rn, k) FROM ranked WHERE rn <= k",
    "CREATE OR REPLACE TABLE raw_source_target_predict AS "
    "SELECT * FROM raw_source_target WHERE target IS NULL",
]


def duckdb_prepare(con: duckdb.DuckDBPyConnection) -> float:
    """(c) baseline: the hand-written pipeline."""
    start = time.perf_counter()
    for statement in SQL_PIPELINE:
        con.execute(statement)
    return time.perf_counter() - start


def vm_hwm(pid: int) -> int:
    """Peak resident set size of ``pid`` in bytes (Linux ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def fmt_rate(rows: int, seconds: float) -> str:
    return f"{seconds:7.2f} s  ({rows / seconds:12,.0f} rows/s)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-gb", type=float, default=0.2, help="file size for the RSS check")
    parser.add_argument("--repeat", type=int, default=1, help="best of N for each timing")
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    parser.add_argument("--upload-only", action="store_true", help="skip (c)")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="binnr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, work)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    csv_path = work / "bench.csv"
    t0 = time.perf_counter()
    size = make_csv(csv_path, rows=args.rows)
    print(f"CSV: {args.rows:,} rows, {size / 1e6:,.1f} MB ({time.perf_counter() - t0:.1f} s)")
    print(f"CPUs: {os.cpu_count()}, DuckDB {duckdb.__version__}")

    con = duckdb.connect(str(work / "baseline.duckdb"))
    with serve(work / "home") as server:
        http_upload(server, csv_path, "warmup")  # imports and first-use costs
        rounds = upload_rounds(server, con, csv_path, args.repeat)
        runs_a = [r[0] for r in rounds]
        times_b2 = [duckdb_read_csv_like_binnr(con, csv_path) for _ in range(args.repeat)]
        prepares = 0 if args.upload_only else args.repeat
        runs_c = [http_prepare(server.client, "bench") for _ in range(prepares)]
    raw_rows = con.execute("SELECT COUNT(*) FROM raw").fetchone()[0]  # type: ignore[index]
    assert raw_rows == args.rows, raw_rows
    times_sql = [duckdb_prepare(con) for _ in range(0 if args.upload_only else args.repeat)]
    split = (
        con.execute(
            "SELECT (SELECT COUNT(*) FROM raw_source_target_train), "
            "(SELECT COUNT(*) FROM raw_source_target_validation), "
            "(SELECT COUNT(*) FROM raw_source_target_predict)"
        ).fetchone()
        if times_sql
        else None
    )
    con.close()

    time_a, job_a = min(runs_a, key=lambda r: r[0])
    time_b = min(r[1][0] for r in rounds)
    result = job_a["result"]
    assert result["rows_loaded"] == args.rows and result["rows_rejected"] == 0, result

    print()
    print(f"(a) HTTP upload → table     {fmt_rate(args.rows, time_a)}")
    print(
        f"    of which POST→202 (transfer to disk) {job_a['transfer_s']:.2f} s, "
        f"job run {job_seconds(job_a):.2f} s"
    )
    print(f"(b) DuckDB read_csv         {fmt_rate(args.rows, time_b)}")
    print(f"    same, binnr's options   {fmt_rate(args.rows, min(times_b2))}  (strict, rejects)")
    ratio_ab = time_b / time_a
    verdict = "OK" if ratio_ab >= 0.8 else "BELOW TARGET"
    print(f"    (a)/(b) throughput      {ratio_ab:7.2f}   target ≥ 0.80  {verdict}  (best of each)")
    if args.upload_only:
        return big_upload(args, work, csv_path)
    time_c, job_c = min(runs_c, key=lambda r: r[0])
    time_sql = min(times_sql)
    tables = {t["role"]: t["rows"] for t in job_c["result"]["tables"]}
    print()
    print(f"(c) HTTP classification    {time_c:7.2f} s  (job run {job_seconds(job_c):.2f} s)")
    print(f"    tables {tables}")
    print(
        f"    hand-written SQL       {time_sql:7.2f} s  train/validation/predict "
        f"{split[0]:,}/{split[1]:,}/{split[2]:,}"  # type: ignore[index]
    )
    ratio_c = time_c / time_sql
    verdict = "OK" if ratio_c <= 1.3 else "ABOVE TARGET"
    print(f"    (c) ÷ SQL               {ratio_c:7.2f}   target ≤ 1.30  {verdict}")

    return big_upload(args, work, csv_path)


def upload_rounds(
    server: Server, con: duckdb.DuckDBPyConnection, csv_path: Path, repeat: int
) -> list[tuple[tuple[float, dict[str, Any]], tuple[float, float]]]:
    """(a) and (b) in interleaved rounds (the machine's load varies); each round's ratios."""
    rounds = []
    for r in range(repeat):
        b = duckdb_read_csv(con, csv_path)
        a = http_upload(server, csv_path, "bench")
        job = a[1]
        cpu_a = job["transfer_cpu"] + job["job_cpu"]
        print(
            f"round {r + 1}: (a) {a[0]:.2f} s, server CPU {cpu_a:.2f} s (transfer "
            f"{job['transfer_cpu']:.2f}, job {job['job_cpu']:.2f}); (b) {b[0]:.2f} s, CPU "
            f"{b[1]:.2f} s; (a)/(b) {b[0] / a[0]:.2f} (target ≥ 0.80), per CPU-s "
            f"{b[1] / cpu_a:.2f}"
        )
        rounds.append((a, b))
    return rounds


def big_upload(args: argparse.Namespace, work: Path, csv_path: Path) -> int:
    big = work / "big.csv"
    big_size = grow_csv(csv_path, big, size=int(args.big_gb * 1e9))
    csv_path.unlink()
    with serve(work / "home-big") as server:
        idle = vm_hwm(server.process.pid)
        time_big, job_big = http_upload(server, big, "big")
        peak = vm_hwm(server.process.pid)
    rows_big = job_big["result"]["rows_loaded"]
    print()
    print(f"Big upload: {big_size / 1e9:.2f} GB, {rows_big:,} rows, {fmt_rate(rows_big, time_big)}")
    verdict = "OK" if peak < 1e9 else "ABOVE TARGET"
    print(
        f"    server peak RSS (VmHWM) {peak / 2**20:7.0f} MiB (idle {idle / 2**20:.0f} MiB)"
        f"   target < 1 GB  {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
