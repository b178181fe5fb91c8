"""Measure consulta on the database bench/generate filled, beside a bare Flask reference.

    python -m bench.run [--duration 10] [--workers 4] [--writes-seconds 60] [--skip-writes]

Starts two gunicorn servers on 127.0.0.1 with the same settings (WORKERS sync workers): consulta
(bench/wsgi.py: rate limits off, each response tells its SQL statement count) and bench/hello.py.
wrk drives each read page for a fixed time at 50 connections; then signed-in Python clients send
proposals and comments for a fixed time, and the database is asked afterwards whether every
acknowledged one is there. Every server started is stopped at the end, on Ctrl-C or on an error.
"""
import argparse
import http.cookiejar
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_HOST = "127.0.0.1"
CONNECTIONS = 50
MAX_DURATION = 60
MAX_WRITE_SECONDS = 120
MAX_OPERATIONS = 10_000
SQL_HEADER = "X-SQL-Statements"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write("RESULT ", string.format('{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, '
    .. '"socket_errors": %d, "p50": %d, "p95": %d, "p99": %d}',
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)), "\\n")
end
"""


class Refused(SystemExit):
    pass


def check_host(host: str) -> str:
    """bench/run only ever loads this machine's loopback address."""
    if host != ALLOWED_HOST:
        raise Refused(f"bench/run refuses the target {host!r}: it only runs against {ALLOWED_HOST}.")
    return host


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# --- servers ------------------------------------------------------------------------------------

class Servers:
    """Gunicorn servers in their own process groups, all stopped by stop() (called from finally)."""

    def __init__(self):
        self.started = []
        self.logs = []

    def start(self, app_path: str, *, host: str, port: int, workers: int, env: dict, name: str) -> str:
        log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        self.logs.append(log.name)
        command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
                   "--bind", f"{host}:{port}", "--backlog", "2048", "--timeout", "60", "--log-level", "warning",
                   app_path]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.started.append(process)
        base = f"http://{host}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{name} did not start: see {log.name}")
            try:
                urllib.request.urlopen(base + ("/health" if name == "consulta" else "/"), timeout=2).read()
                return base
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{name} did not answer within 60 s: see {log.name}")

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.started.clear()


@contextmanager
def interrupts_raise():
    """SIGTERM (and SIGHUP) end the run like Ctrl-C does, through the callers' finally blocks."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- what is measured ---------------------------------------------------------------------------

def pages(app) -> list[tuple[str, str]]:
    """(name, path) of the pages to load, read from the generated database."""
    from sqlalchemy import func, select

    from bench.generate import CYCLE_SLUG, NATIONAL_SLUG
    from consulta.consultation.models import Comment
    from consulta.consultation.services import PER_PAGE as THREAD_PAGE
    from consulta.core.pagination import PER_PAGE as REGISTER_PAGE
    from consulta.commitments.models import Commitment
    from consulta.cycles.models import Cycle
    from consulta.extensions import db
    from consulta.proposals.models import Proposal
    from consulta.tables.models import WorkingTable

    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.slug == CYCLE_SLUG))
        if cycle is None:
            raise SystemExit("No bench cycle in this database: run bench/generate first.")
        base = f"/j/{NATIONAL_SLUG}/{CYCLE_SLUG}"
        proposals = db.session.scalar(select(func.count()).where(Proposal.cycle_id == cycle.id))
        area_id, in_area = db.session.execute(
            select(Proposal.area_id, func.count()).where(Proposal.cycle_id == cycle.id)
            .group_by(Proposal.area_id).order_by(Proposal.area_id).limit(1)).one()
        middle = db.session.scalar(select(Proposal.reference).where(Proposal.cycle_id == cycle.id,
                                                                    Proposal.number == max(1, proposals // 2)))
        target_id, top_level = db.session.execute(
            select(Comment.target_id, func.count()).where(Comment.target_kind == "commitment",
                                                          Comment.parent_id.is_(None),
                                                          Comment.campaign_of_id.is_(None))
            .group_by(Comment.target_id).order_by(func.count().desc()).limit(1)).one()
        number = db.session.scalar(select(Commitment.number).where(Commitment.id == target_id))
        table_id = db.session.scalar(select(func.min(WorkingTable.id)).where(WorkingTable.cycle_id == cycle.id))
    thread = f"{base}/consulta/compromisos/{number}"
    return [
        ("home", "/"),
        ("cycle", base),
        ("register p1", f"{base}/propuestas"),
        ("register last", f"{base}/propuestas?page={math.ceil(proposals / REGISTER_PAGE)}"),
        ("filtered last", f"{base}/propuestas?area={area_id}&page={math.ceil(in_area / REGISTER_PAGE)}"),
        ("proposal", f"{base}/propuestas/{middle}"),
        ("search", f"{base}/propuestas?q=derechos+agua"),
        ("thread p1", thread),
        ("thread last", f"{thread}?page={math.ceil(top_level / THREAD_PAGE)}"),
        ("comparison", f"/estadisticas/{NATIONAL_SLUG}"),
        ("table", f"/mesas/{table_id}"),
    ]


def drain(base: str) -> None:
    """Wait (at most two minutes) until the server answers at once again: requests a slow page left
    queued are still being served after wrk stops, and would weigh on the next page's figures."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            urllib.request.urlopen(base + "/health", timeout=120).read()
        except OSError:
            pass
        if time.monotonic() - started < 0.5:
            return


def probe_page(url: str) -> tuple[int, int, int | None]:
    """(status, HTML bytes, SQL statements) of one request."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            body = response.read()
            statements = response.headers.get(SQL_HEADER)
            return response.status, len(body), int(statements) if statements is not None else None
    except urllib.error.HTTPError as error:
        return error.code, len(error.read()), None
    except OSError:
        return 0, 0, None


def wrk(url: str, duration: int, script: str) -> dict:
    binary = shutil.which("wrk")
    completed = subprocess.run([binary, "--threads", "2", "--connections", str(CONNECTIONS), "--duration",
                                f"{duration}s", "--timeout", "10s", "--script", script, "--latency", url],
                               capture_output=True, text=True, timeout=duration + 60)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {url}: {completed.stdout}{completed.stderr}")
    result = json.loads(line[len("RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def milliseconds(microseconds) -> str:
    return f"{microseconds / 1000:.1f}"


def warm_up(url: str) -> None:
    """Each gunicorn worker compiles its templates and opens its connections on its first requests:
    a short unrecorded load first, so that the measured seconds are the steady state."""
    subprocess.run([shutil.which("wrk"), "--threads", "1", "--connections", "8", "--duration", "2s", url],
                   capture_output=True, timeout=60)


def run_reads(app_url, hello_url, page_list, duration, script, out) -> list[dict]:
    warm_up(hello_url + "/")
    hello = wrk(hello_url + "/", duration, script)
    out(f"hello world: {hello['rps']:.0f} requests/s, p50 {milliseconds(hello['p50'])} ms, "
        f"p95 {milliseconds(hello['p95'])} ms, p99 {milliseconds(hello['p99'])} ms")
    out("")
    out(f"| page | status | req/s | p50 ms | p95 ms | p99 ms | ÷ hello | SQL/req | HTML bytes | errors |")
    out("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for name, path in page_list:
        drain(app_url)
        status, size, statements = probe_page(app_url + path)
        warm_up(app_url + path)
        result = wrk(app_url + path, duration, script)
        errors = result["status_errors"] + result["socket_errors"]
        rows.append({"page": name, "path": path, "status": status, "bytes": size, "sql": statements, **result})
        out(f"| {name} | {status} | {result['rps']:.0f} | {milliseconds(result['p50'])} | "
            f"{milliseconds(result['p95'])} | {milliseconds(result['p99'])} | {result['rps'] / hello['rps']:.0%} | "
            f"{statements} | {size:,} | {errors} |")
    return [{"page": "hello world", **hello}, *rows]


# --- signed-in writers ------------------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOADED = re.compile(r'name="loaded"[^>]*value="([^"]+)"')
MARK = "bench-run"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One signed-in person: cookies, the session's CSRF token and a consultation form stamp."""

    def __init__(self, base: str, email: str, password: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect)
        page = self.get("/cuenta/ingresar")
        self.token = TOKEN.search(page).group(1)
        status, location = self.post("/cuenta/ingresar", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"sign-in refused for {email} ({status})")

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode({"csrf_token": self.token, **fields}, doseq=True).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=60) as response:
                response.read()
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            error.read()
            return error.code, error.headers.get("Location", "")


def write_mix(app_url, app, *, proposals: int, comments: int, seconds: int, clients: int, out) -> dict:
    """`proposals` intake sends and `comments` comments spread evenly over `seconds`, by `clients`
    signed-in people at once; then every acknowledged one is looked up in the database."""
    from sqlalchemy import select

    from bench.generate import CYCLE_SLUG, NATIONAL_SLUG, PASSWORD, email
    from consulta.accounts.models import User
    from consulta.commitments.models import Commitment
    from consulta.consultation.models import Comment
    from consulta.cycles.models import Cycle
    from consulta.extensions import db
    from consulta.proposals.models import Proposal, ThematicArea

    base = f"/j/{NATIONAL_SLUG}/{CYCLE_SLUG}"
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.slug == CYCLE_SLUG))
        area_id = db.session.scalar(select(ThematicArea.id).where(ThematicArea.cycle_id == cycle.id).limit(1))
        numbers = list(db.session.scalars(select(Commitment.number).where(Commitment.cycle_id == cycle.id)
                                          .order_by(Commitment.number)))
        first_person = db.session.scalar(select(User.id).where(User.email.like("persona%")).order_by(User.id))
    run_id = uuid.uuid4().hex[:8]
    people: list = []

    lock = threading.Lock()
    sessions: list[Client] = []
    outcomes = {"proposal": [], "comment": []}

    def session() -> Client:
        with lock:
            if sessions:
                return sessions.pop()
            number = len(people)
            people.append(None)
        client = Client(app_url, email(first_person + number), PASSWORD)
        # Signing in gave the session a new CSRF token; the consultation form's stamp must be older
        # than CONSULTATION_MIN_SECONDS when posted.
        page = client.get(f"{base}/consulta/compromisos/{numbers[-1]}")
        client.token = TOKEN.search(page).group(1)
        client.loaded = LOADED.search(page).group(1)
        client.loaded_at = time.monotonic()
        return client

    def send_proposal(client, n):
        marker = f"{MARK} {run_id} propuesta {n}"
        started = time.monotonic()
        status, location = client.post(f"{base}/propuestas/nueva", {
            "title": marker, "problem": "Falta información pública sobre " + marker,
            "body": "Proponemos publicar los datos en formato abierto cada mes. " + marker,
            "area": str(area_id), "values": ["TRANSPARENCIA"], "organisation": "", "review": "1"})
        if status != 302 or "/revisar" not in location:
            return {"status": status, "ok": False, "ms": (time.monotonic() - started) * 1000}
        review = urllib.parse.urlparse(location).path
        status, location = client.post(review, {"idempotency_key": uuid.uuid4().hex})
        reference = location.rsplit("/", 1)[-1] if status == 302 and "/propuestas/" in location else None
        return {"status": status, "ok": reference is not None, "ms": (time.monotonic() - started) * 1000,
                "marker": marker, "reference": reference}

    def send_comment(client, n):
        wait = 3.5 - (time.monotonic() - client.loaded_at)
        if wait > 0:
            time.sleep(wait)
        marker = f"{MARK} {run_id} comentario {n}"
        number = numbers[n % len(numbers)]
        started = time.monotonic()
        status, location = client.post(f"{base}/consulta/compromisos/{number}", {
            "text": f"Apoyamos este compromiso y pedimos plazos claros. {marker}", "alignment": "A_FAVOR",
            "organisation": "", "part": "", "quote": "", "website": "", "loaded": client.loaded,
            "idempotency_key": uuid.uuid4().hex})
        anchor = re.search(r"#comment-(\d+)$", location or "")
        return {"status": status, "ok": anchor is not None, "ms": (time.monotonic() - started) * 1000,
                "marker": marker, "id": int(anchor.group(1)) if anchor else None}

    operations = [("proposal", n) for n in range(proposals)] + [("comment", n) for n in range(comments)]
    # Interleaved evenly, each with its moment in the window.
    operations.sort(key=lambda op: op[1] / (proposals if op[0] == "proposal" else comments))
    interval = seconds / max(1, len(operations))
    started = time.monotonic()
    deadline = started + seconds + 30

    def perform(index, operation):
        kind, n = operation
        delay = started + index * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if time.monotonic() > deadline:
            outcomes[kind].append({"status": None, "ok": False, "ms": 0.0, "late": True})
            return
        try:
            client = session()
        except (OSError, RuntimeError, AttributeError) as error:
            # A sign-in that failed or timed out: this operation was never sent.
            outcomes[kind].append({"status": None, "ok": False, "ms": 0.0, "error": str(error)})
            return
        try:
            result = (send_proposal if kind == "proposal" else send_comment)(client, n)
        except OSError as error:
            result = {"status": None, "ok": False, "ms": 0.0, "error": str(error)}
        finally:
            with lock:
                sessions.append(client)
        outcomes[kind].append(result)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lambda pair: perform(*pair), enumerate(operations)))
    elapsed = time.monotonic() - started

    with app.app_context():
        db.session.remove()
        stored_proposals = dict(db.session.execute(
            select(Proposal.reference, Proposal.title).where(Proposal.cycle_id == cycle.id,
                                                             Proposal.title.like(f"{MARK} {run_id} %"))).all())
        stored_comments = {row.id: row.text for row in db.session.execute(
            select(Comment.id, Comment.text).where(Comment.cycle_id == cycle.id,
                                                   Comment.text.like(f"%{MARK} {run_id} %"))).all()}
    summary = {"elapsed_s": round(elapsed, 1), "clients": clients, "sessions": len(people)}
    for kind, results in outcomes.items():
        acked = [r for r in results if r["ok"]]
        if kind == "proposal":
            lost = [r for r in acked if stored_proposals.get(r["reference"]) != r["marker"]]
        else:
            # A comment close to an earlier one joins its campaign and the redirect names the leader:
            # looked up by its own text, not by the anchor.
            kept = {text.rsplit(MARK, 1)[-1] for text in stored_comments.values()}
            lost = [r for r in acked if r["marker"].rsplit(MARK, 1)[-1] not in kept]
        times = sorted(r["ms"] for r in results if r["status"] is not None)
        summary[kind] = {
            "asked": len(results), "accepted": len(acked),
            "refused": sum(1 for r in results if not r["ok"] and r["status"] is not None and r["status"] < 500),
            "lost": len(lost), "5xx": sum(1 for r in results if (r["status"] or 0) >= 500),
            "not sent": sum(1 for r in results if r["status"] is None),
            "p50_ms": round(statistics.median(times), 1) if times else None,
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1) if len(times) >= 20 else None,
        }
    out("")
    out(f"writes: {proposals} intake sends and {comments} comments spread over {seconds} s by {clients} signed-in "
        f"clients; took {summary['elapsed_s']} s")
    out("| write | asked | accepted | refused | LOST | 5xx | not sent | p50 ms | p95 ms |")
    out("|---|---|---|---|---|---|---|---|---|")
    for kind in ("proposal", "comment"):
        row = summary[kind]
        out(f"| {kind} | {row['asked']} | {row['accepted']} | {row['refused']} | {row['lost']} | {row['5xx']} | "
            f"{row['not sent']} | {row['p50_ms']} | {row['p95_ms']} |")
    return summary


# --- the command --------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=ALLOWED_HOST, help="only 127.0.0.1 is accepted")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per server (default 4)")
    parser.add_argument("--duration", type=int, default=10, help=f"seconds of wrk per page (1-{MAX_DURATION})")
    parser.add_argument("--pages", default="", help="comma-separated page names to load (default: all)")
    parser.add_argument("--skip-writes", action="store_true")
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--writes-seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50, help="signed-in writers at once (default 50)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    try:
        host = check_host(args.host)
    except Refused as refusal:
        print(refusal, file=sys.stderr)
        return 2
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration is between 1 and {MAX_DURATION} seconds")
    if not 1 <= args.writes_seconds <= MAX_WRITE_SECONDS:
        parser.error(f"--writes-seconds is between 1 and {MAX_WRITE_SECONDS}")
    if args.proposals + args.comments > MAX_OPERATIONS or min(args.proposals, args.comments) < 0:
        parser.error(f"at most {MAX_OPERATIONS} writes in all")
    if not 1 <= args.workers <= 16 or not 1 <= args.clients <= 200:
        parser.error("--workers is between 1 and 16, --clients between 1 and 200")
    if shutil.which("wrk") is None:
        print("bench/run needs wrk: sudo apt-get install -y wrk", file=sys.stderr)
        return 2

    import config
    from consulta import create_app

    os.environ.setdefault("SECRET_KEY", uuid.uuid4().hex * 2)
    app = create_app(config.Config)
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    page_list = pages(app)
    if args.pages:
        wanted = {name.strip() for name in args.pages.split(",")}
        page_list = [page for page in page_list if page[0] in wanted]
    env = {**os.environ, "RATELIMIT_ENABLED": "0", "OUTBOX_SEND_INLINE": "0", "PYTHONPATH": str(ROOT)}
    servers = Servers()
    print(f"bench/run: {database.rsplit('@', 1)[-1]}, {args.workers} gunicorn sync workers per server, "
          f"{CONNECTIONS} connections, {args.duration} s per page")
    with interrupts_raise(), tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        try:
            app_url = servers.start("bench.wsgi:app", host=host, port=free_port(host), workers=args.workers,
                                    env=env, name="consulta")
            hello_url = servers.start("bench.hello:app", host=host, port=free_port(host), workers=args.workers,
                                      env=env, name="hello")
            figures = {"reads": run_reads(app_url, hello_url, page_list, args.duration, script.name, print)}
            if not args.skip_writes:
                drain(app_url)
                figures["writes"] = write_mix(app_url, app, proposals=args.proposals, comments=args.comments,
                                              seconds=args.writes_seconds, clients=args.clients, out=print)
        except KeyboardInterrupt:
            print("interrupted: stopping the servers", file=sys.stderr)
            return 130
        finally:
            servers.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
