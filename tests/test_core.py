"""The core every domain shares: clock and windows, history, outbox, sanitiser, storage, forms,
permissions, the web layer (headers, error pages, language), rate limits, configuration and schema."""
import ast
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import g, session
from flask_babel import force_locale, gettext
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import generate_csrf
from itsdangerous import TimestampSigner
from markupsafe import escape
from sqlalchemy import select, text
from werkzeug.datastructures import FileStorage

import config
from consulta import ROOT
from consulta.accounts.models import User
from consulta.core import clock as core_clock
from consulta.core import outbox, permissions, storage
from consulta.core.audit import StateChange, history, record_event, transition
from consulta.core.errors import DomainError, PermissionDenied, WindowClosed
from consulta.core.forms import CSRF_EXPIRED_MESSAGE
from consulta.core.models import UTCDateTime
from consulta.core.outbox import DeliveryStatus, OutboxEmail, deliver_pending, queue_email
from consulta.core.sanitize import clean_html, plain_paragraphs
from consulta.core.windows import Window, is_open, local_to_utc, window_from_dates, window_from_local
from tests.conftest import IN_CI, database_url, limiter_of
from tests.factories import make_user
from tests.support.concurrency import run_together

SANTIAGO = "America/Santiago"
SECOND = timedelta(seconds=1)


def test_database_is_reachable_and_rolled_back(db):
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_utc_type_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), None)
    stored = UTCDateTime().process_bind_param(datetime(2024, 1, 1, 12, tzinfo=UTC), None)
    assert stored == datetime(2024, 1, 1, 12)


def _jurisdiction_count(db):
    return db.session.execute(text("SELECT count(*) FROM jurisdiction WHERE slug = 'rollback-probe'")).scalar()


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_starts_from_a_clean_database_even_after_a_commit(db, attempt):
    from consulta.jurisdictions.models import Jurisdiction, JurisdictionKind

    assert _jurisdiction_count(db) == 0
    db.session.add(Jurisdiction(slug="rollback-probe", name="Probe", kind=JurisdictionKind.NATIONAL))
    db.session.commit()
    assert _jurisdiction_count(db) == 1


# --- helpers -------------------------------------------------------------------------------------

def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _in_spanish(message) -> str:
    """The Spanish catalogue's text for an English msgid or lazy string, HTML-escaped as pages show it.
    Needs an app context."""
    def render(locale):
        with force_locale(locale):
            return gettext(message) if isinstance(message, str) else str(message)

    translated = render("es")
    assert translated != render("en"), f"the Spanish catalogue has no translation for {render('en')!r}"
    return str(escape(translated))


# --- clock and windows ---------------------------------------------------------------------------

def test_clock_is_utc_and_settable(clock):
    assert core_clock.now().tzinfo is not None
    clock.at(2025, 4, 5, 12)
    assert core_clock.now() == datetime(2025, 4, 5, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        core_clock.set_now(datetime(2025, 4, 5, 12))


# The days Chile's clocks change: 2024-09-08 starts daylight saving (local midnight does not exist:
# 00:00 -04 jumps to 01:00 -03), 2025-04-06 ends it (Saturday the 5th has 23:00-24:00 twice).
# Each expected closing instant was worked out by hand from those offsets.
@pytest.mark.parametrize("last_day, closes_at", [
    (date(2024, 9, 7), datetime(2024, 9, 8, 4, 0, tzinfo=UTC)),   # midnight in the gap: first valid instant
    (date(2024, 9, 8), datetime(2024, 9, 9, 3, 0, tzinfo=UTC)),   # first full day of summer time (-03)
    (date(2025, 4, 4), datetime(2025, 4, 5, 3, 0, tzinfo=UTC)),   # still -03
    (date(2025, 4, 5), datetime(2025, 4, 6, 4, 0, tzinfo=UTC)),   # the 25-hour day: closes at midnight -04
    (date(2025, 4, 6), datetime(2025, 4, 7, 4, 0, tzinfo=UTC)),   # first day back on -04
])
def test_window_typed_as_dates_closes_at_the_next_local_midnight(last_day, closes_at):
    window = window_from_dates(last_day - timedelta(days=3), last_day, SANTIAGO)
    assert window.closes_at == closes_at
    assert is_open(window, closes_at - SECOND)
    assert not is_open(window, closes_at)
    assert not is_open(window, closes_at + SECOND)


@pytest.mark.parametrize("first_day, opens_at", [
    (date(2024, 9, 8), datetime(2024, 9, 8, 4, 0, tzinfo=UTC)),   # 00:00 does not exist: opens at 01:00 -03
    (date(2025, 4, 5), datetime(2025, 4, 5, 3, 0, tzinfo=UTC)),
    (date(2025, 4, 6), datetime(2025, 4, 6, 4, 0, tzinfo=UTC)),
])
def test_window_opens_at_the_first_local_midnight_included(first_day, opens_at):
    window = window_from_dates(first_day, first_day + timedelta(days=10), SANTIAGO)
    assert window.opens_at == opens_at
    assert not is_open(window, opens_at - SECOND)
    assert is_open(window, opens_at)
    assert is_open(window, opens_at + SECOND)


def test_a_wall_time_in_the_daylight_saving_gap_is_the_moment_of_the_jump():
    instant = local_to_utc(datetime(2024, 9, 8, 0, 30), SANTIAGO)
    assert instant == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert instant.astimezone(ZoneInfo(SANTIAGO)).strftime("%H:%M %z") == "01:00 -0300"


def test_a_wall_time_that_happens_twice_is_its_first_occurrence():
    # 23:30 on 2025-04-05 happens at 02:30 UTC (-03) and again at 03:30 UTC (-04).
    assert local_to_utc(datetime(2025, 4, 5, 23, 30), SANTIAGO) == datetime(2025, 4, 6, 2, 30, tzinfo=UTC)
    assert local_to_utc(datetime(2025, 4, 6, 0, 0), SANTIAGO) == datetime(2025, 4, 6, 4, 0, tzinfo=UTC)


def test_windows_in_another_zone_and_typed_as_local_times():
    # Magallanes keeps -03 all year: the same dates close an hour earlier there than in Santiago in winter.
    window = window_from_dates(date(2025, 6, 18), date(2025, 7, 13), "America/Punta_Arenas")
    assert window.closes_at == datetime(2025, 7, 14, 3, 0, tzinfo=UTC)
    typed = window_from_local(datetime(2025, 6, 18, 9), datetime(2025, 6, 18, 18), SANTIAGO)
    assert typed == Window(datetime(2025, 6, 18, 13, tzinfo=UTC), datetime(2025, 6, 18, 22, tzinfo=UTC))


def test_window_refuses_naive_or_inverted_instants_and_none_is_closed():
    with pytest.raises(ValueError):
        Window(datetime(2025, 1, 1), datetime(2025, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError):
        Window(datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert not is_open(None, datetime(2025, 1, 1, tzinfo=UTC))


def test_window_closed_says_when_in_the_jurisdictions_zone(app):
    window = window_from_dates(date(2025, 4, 1), date(2025, 4, 5), SANTIAGO)
    with app.app_context(), force_locale("en"):
        message = WindowClosed(window, SANTIAGO, "body").message
    assert "April 6, 2025, 00:00:00" in message and "Chile" in message


# --- history -------------------------------------------------------------------------------------

@dataclass
class Lamp:
    """A stand-in stateful object: `transition` needs a table name, an id, a state and its moves."""

    __tablename__ = "probe_lamp"
    TRANSITIONS = {None: {"OFF"}, "OFF": {"ON"}, "ON": {"OFF", "BROKEN"}}
    id: int = 1
    state: str | None = "OFF"


def test_transition_records_who_when_from_to_why_and_public(db, clock):
    actor = make_user()
    lamp = Lamp(id=41)
    at = clock.at(2025, 6, 18, 15)
    change = transition(lamp, "ON", actor=actor, reason="It was dark.", public=False)
    db.session.flush()
    assert lamp.state == "ON"
    rows = db.session.scalars(select(StateChange).where(StateChange.object_type == "probe_lamp")).all()
    assert rows == [change]
    assert (change.object_id, change.from_state, change.to_state, change.actor_id, change.at, change.reason,
            change.public) == (41, "OFF", "ON", actor.id, at, "It was dark.", False)


def test_forbidden_move_changes_nothing_and_writes_no_history(db):
    lamp = Lamp(id=42, state="OFF")
    with pytest.raises(DomainError):
        transition(lamp, "BROKEN", actor=None, reason="")
    assert lamp.state == "OFF"
    assert history(lamp, public_only=False) == []


def test_creating_a_stateful_object_records_its_first_state_and_saves_it(db):
    from consulta.accounts.models import User, UserState

    user = User(display_name="New Person", email="new.person@example.org")
    transition(user, UserState.ACTIVE, actor=None, reason="signed up")
    assert user.id is not None, "the new object was not saved, so its history row has no object"
    [created] = history(user, public_only=False)
    assert (created.from_state, created.to_state, created.reason) == (None, "ACTIVE", "signed up")


def test_history_shows_public_rows_in_order_and_events_without_a_state(db):
    lamp = Lamp(id=43, state="OFF")
    transition(lamp, "ON", actor=None, reason="first")
    transition(lamp, "OFF", actor=None, reason="internal", public=False)
    record_event(lamp, "INSPECTED", actor=None, reason="yearly")
    db.session.flush()
    assert [row.to_state for row in history(lamp)] == ["ON", "INSPECTED"]
    assert [row.to_state for row in history(lamp, public_only=False)] == ["ON", "OFF", "INSPECTED"]


@pytest.mark.parametrize("change", ["update", "delete"])
def test_history_rows_are_append_only(db, change):
    row = transition(Lamp(id=44), "ON", actor=None, reason="as typed")
    db.session.flush()
    if change == "update":
        row.reason = "rewritten"
    else:
        db.session.delete(row)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def _state_assignments(source: str, filename: str) -> list[str]:
    """Places in `source` that set a `state` outside `transition`: `x.state = …` (also augmented or
    annotated), `setattr(x, "state", …)` and bulk `….values(state=…)`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        flattened = []
        while targets:
            target = targets.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                targets.extend(target.elts)
            else:
                flattened.append(target)
        if any(isinstance(t, ast.Attribute) and t.attr == "state" for t in flattened):
            found.append(f"{filename}:{node.lineno}")
        if isinstance(node, ast.Call):
            function = node.func
            if (isinstance(function, ast.Name) and function.id == "setattr" and len(node.args) > 1
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value == "state"):
                found.append(f"{filename}:{node.lineno}")
            if (isinstance(function, ast.Attribute) and function.attr == "values"
                    and any(keyword.arg == "state" for keyword in node.keywords)):
                found.append(f"{filename}:{node.lineno}")
    return found


def test_the_state_detector_finds_every_way_of_assigning_a_state():
    source = ("a.state = 1\nb.state += 1\nc.state: int = 1\nd.x, e.state = 1, 2\n"
              "setattr(f, 'state', 1)\nupdate(M).values(state=1)\nstate = 1\nx.status = 1\n")
    assert [place.split(":")[1] for place in _state_assignments(source, "probe")] == ["1", "2", "3", "4", "5", "6"]


def test_no_code_outside_audit_assigns_a_state():
    allowed = ROOT / "consulta" / "core" / "audit.py"
    offenders = []
    for folder in ("consulta", "tests", "migrations"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != allowed:
                offenders += _state_assignments(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert offenders == [], "state set outside consulta.core.audit.transition: " + ", ".join(offenders)


# --- outbox --------------------------------------------------------------------------------------

def _queue(to="ana@example.org", link="http://localhost/cuenta/confirmar/abc123"):
    return queue_email(to, subject="Confirm", template="probe/email/hello", name="Ana", link=link)


def test_queued_email_renders_text_and_html_and_rolls_back_with_its_change(db):
    db.session.begin_nested()
    email = _queue()
    db.session.flush()
    assert "http://localhost/cuenta/confirmar/abc123" in email.body_text
    assert '<a href="http://localhost/cuenta/confirmar/abc123">' in email.body_html
    assert db.session.scalar(select(OutboxEmail.id)) == email.id
    db.session.rollback()
    assert db.session.scalars(select(OutboxEmail)).all() == []


def test_queued_email_is_kept_when_its_change_commits(db):
    _queue()
    db.session.commit()
    assert db.session.scalars(select(OutboxEmail.status)).all() == [DeliveryStatus.PENDING]


def test_console_delivery_prints_the_message_with_its_links_when_there_is_no_smtp_server(
        app, db, monkeypatch, capsys):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    email = _queue()
    db.session.commit()
    report = deliver_pending()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    printed = capsys.readouterr().out
    assert "ana@example.org" in printed and "http://localhost/cuenta/confirmar/abc123" in printed
    db.session.refresh(email)
    assert email.status == DeliveryStatus.SENT and email.attempts == 1 and email.sent_at is not None


def _failing_send(email):
    raise ConnectionRefusedError("no route to the mail server")


def test_failed_delivery_is_retried_with_back_off_and_the_error_kept(app, db, clock, monkeypatch):
    monkeypatch.setattr(outbox, "_send", _failing_send)
    start = clock.at(2025, 6, 18, 12)
    email = _queue()
    db.session.commit()
    assert deliver_pending().retrying == 1
    db.session.refresh(email)
    assert email.status == DeliveryStatus.PENDING
    assert email.next_attempt_at == start + outbox.backoff(1)
    assert "ConnectionRefusedError" in email.last_error
    clock.at(start + outbox.backoff(1) - SECOND)
    assert deliver_pending().retrying == 0, "retried before its back-off ended"
    clock.at(start + outbox.backoff(1))
    assert deliver_pending().retrying == 1
    db.session.refresh(email)
    assert email.attempts == 2 and email.next_attempt_at == clock.at(start + outbox.backoff(1)) + outbox.backoff(2)
    assert outbox.backoff(30) == outbox.MAX_BACKOFF


def test_cli_send_prints_a_summary_and_fails_when_a_message_fails_for_good(app, db, monkeypatch, capsys):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    _queue()
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1, retrying 0, failed 0" in result.output

    monkeypatch.setattr(outbox, "_send", _failing_send)
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 1)
    _queue(to="bruno@example.org")
    db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "sent 0, retrying 0, failed 1" in result.output
    assert db.session.scalar(select(OutboxEmail.status).where(OutboxEmail.recipient == "bruno@example.org")) \
        == DeliveryStatus.FAILED


@pytest.mark.concurrency
def test_two_senders_at_once_send_each_message_exactly_once(app, committed_db, monkeypatch):
    deliveries = []
    lock = threading.Lock()

    def recording_send(email):
        with lock:
            deliveries.append(email.id)
        time.sleep(0.005)  # a slow mail server widens the window in which the two senders race

    monkeypatch.setattr(outbox, "_send", recording_send)
    for n in range(30):
        _queue(to=f"person{n}@example.org")
    committed_db.session.commit()
    ids = committed_db.session.scalars(select(OutboxEmail.id)).all()
    committed_db.session.commit()  # end the read: on SQLite it would keep seeing the rows as queued
    assert len(ids) == 30

    def sender(_):
        with app.app_context():
            return deliver_pending()

    reports, errors = run_together(2, sender)
    assert errors == []
    assert sorted(deliveries) == sorted(ids), "a message was sent twice or not at all"
    assert sum(report.sent for report in reports) == 30
    assert set(committed_db.session.scalars(select(OutboxEmail.status))) == {DeliveryStatus.SENT}


@pytest.mark.concurrency
def test_two_writing_requests_at_once_both_write(app, committed_db):
    """Two requests that read and then write, at the same moment: both succeed. (On SQLite the
    second would find its read stale and fail with "database is locked" unless a writing request
    takes the write lock as it begins: then it waits for the first.)"""
    both_read = threading.Barrier(2, timeout=1)

    def request_that_reads_then_writes(number):
        with app.test_request_context("/", method="POST"):
            committed_db.session.scalar(select(User.id).limit(1))
            try:
                both_read.wait()
            except threading.BrokenBarrierError:
                pass  # the other request is waiting for this one's write lock
            make_user(email=f"writer{number}@example.org")
            committed_db.session.commit()
            committed_db.session.remove()

    _results, errors = run_together(2, request_that_reads_then_writes)
    assert errors == []
    assert set(committed_db.session.scalars(select(User.email).where(User.email.like("writer%")))) == {
        "writer0@example.org", "writer1@example.org"}


class RefuseFirstAttempt:
    """An SMTP server that answers the first message with a temporary failure, then accepts."""

    def __init__(self):
        self.attempts = 0
        self.accepted = []

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.attempts == 1:
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = RefuseFirstAttempt()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def test_a_real_smtp_server_that_refuses_once_gets_the_message_once_on_retry(
        app, db, clock, monkeypatch, smtp_server):
    from consulta.extensions import mail

    handler, port = smtp_server
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False,
                "MAIL_DEFAULT_SENDER": "consulta <no-reply@consulta.localhost>"}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.extensions, "mail", mail.init_mail(app.config))

    start = clock.at(2025, 6, 18, 12)
    email = _queue()
    db.session.commit()
    assert deliver_pending().retrying == 1
    db.session.refresh(email)
    assert "451" in email.last_error and handler.accepted == []

    clock.at(start + outbox.backoff(1) + SECOND)
    report = deliver_pending()
    assert report.sent == 1
    clock.at(start + timedelta(days=1))
    assert deliver_pending().sent == 0
    assert len(handler.accepted) == 1 and handler.attempts == 2
    envelope = handler.accepted[0]
    assert envelope.rcpt_tos == ["ana@example.org"]
    assert b"http://localhost/cuenta/confirmar/abc123" in envelope.content
    db.session.refresh(email)
    assert email.status == DeliveryStatus.SENT and email.last_error is None and email.attempts == 2


# --- sanitiser -----------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<p onclick="steal()">text</p>',
    '<a href="#" onmouseover="steal()">text</a>',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">text</a>',
    '<a href="JAVASCRIPT:alert(1)">text</a>',
    '<a href="jav&#x09;ascript:alert(1)">text</a>',
    '<a href="&#106;avascript:alert(1)">text</a>',
    '<a href=" javascript:alert(1)">text</a>',
    '<a href="java\nscript:alert(1)">text</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">text</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">text</a>',
    '<p style="background:url(javascript:alert(1))">text</p>',
    "<style>body { display: none }</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name="password"></form>',
])
def test_sanitiser_removes_scripts_handlers_dangerous_urls_and_styles(payload):
    cleaned = clean_html(payload).lower()
    for danger in ("<script", "onerror", "onclick", "onmouseover", "onload", "javascript:", "data:",
                   "style=", "<style", "<iframe", "<form", "<input", "<img", "<svg"):
        assert danger not in cleaned, f"{danger!r} survived in {cleaned!r}"


def test_sanitiser_keeps_simple_formatting_and_marks_links_nofollow_noopener():
    cleaned = clean_html('<p><strong>Hola</strong> <em>mundo</em></p><ul><li>uno</li></ul>'
                         '<a href="https://example.org" rel="author" target="_blank">enlace</a>')
    assert "<strong>Hola</strong>" in cleaned and "<li>uno</li>" in cleaned
    assert '<a href="https://example.org" rel="nofollow noopener">enlace</a>' in cleaned
    assert "target" not in cleaned
    assert clean_html("ver https://example.org/plan") == \
        'ver <a href="https://example.org/plan" rel="nofollow noopener">https://example.org/plan</a>'
    assert clean_html(None) == "" and clean_html("") == ""


def test_plain_paragraphs_escape_everything():
    assert plain_paragraphs("a <b>\nline\n\n<script>x</script>") == \
        "<p>a &lt;b&gt;<br>line</p><p>&lt;script&gt;x&lt;/script&gt;</p>"


# --- storage -------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def _upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_storage_types_a_file_by_its_content_not_its_name(app):
    with app.app_context(), force_locale("en"):
        stored = storage.store(_upload(PNG, "informe.pdf"), max_bytes=1024)
        assert stored.content_type == "image/png" and stored.key.endswith(".png")
        assert storage.backend().read(stored.key) == PNG
        with pytest.raises(DomainError) as refused:
            storage.store(_upload(b"just some text, not a PDF", "notas.pdf"), max_bytes=1024)
        assert refused.value.field == "attachments"
        assert "notas.pdf" in refused.value.message and "not an accepted type" in refused.value.message


def test_storage_refuses_files_over_the_limit_and_empty_ones(app):
    with app.app_context(), force_locale("en"):
        assert storage.store(_upload(PDF, "a.pdf"), max_bytes=len(PDF)).size == len(PDF)
        with pytest.raises(DomainError, match="larger than"):
            storage.store(_upload(PDF + b"0", "a.pdf"), max_bytes=len(PDF))
        with pytest.raises(DomainError, match="empty"):
            storage.store(_upload(b"", "a.pdf"), max_bytes=len(PDF))
        with pytest.raises(DomainError):
            storage.store(_upload(PNG, "a.png"), allowed={"application/pdf"}, max_bytes=1024)


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_storage_types_office_documents_by_what_their_zip_holds(app):
    from docx import Document
    from openpyxl import Workbook

    docx, xlsx = io.BytesIO(), io.BytesIO()
    Document().save(docx)
    Workbook().save(xlsx)
    odt = _zip({"mimetype": storage.ODT, "content.xml": "<office:document-content/>"})
    ods = _zip({"mimetype": storage.ODS, "content.xml": "<office:document-content/>"})
    macros = _zip({"[Content_Types].xml":
                   '<Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'})
    allowed = storage.IMAGE_AND_PDF | storage.OFFICE_DOCUMENTS
    with app.app_context(), force_locale("en"):
        for data, name, extension in ((docx.getvalue(), "informe.pdf", "docx"), (xlsx.getvalue(), "a.xlsx", "xlsx"),
                                      (odt, "b.odt", "odt"), (ods, "c.ods", "ods")):
            assert storage.store(_upload(data, name), allowed=allowed, max_bytes=10**6).key.endswith(f".{extension}")
        for data in (macros, _zip({"notas.txt": "hola"}), b"PK\x03\x04 not really a zip"):
            with pytest.raises(DomainError, match="office document"):
                storage.store(_upload(data, "informe.docx"), allowed=allowed, max_bytes=10**6)
        # Where only PDFs and images are taken, an office document is refused as before.
        with pytest.raises(DomainError, match=r"\(PDF or image\)"):
            storage.store(_upload(docx.getvalue(), "informe.docx"), max_bytes=10**6)


def test_storage_serves_files_as_attachments_with_their_sniffed_type(app):
    with app.app_context():
        stored = storage.store(_upload(PNG, "plan año 2025.pdf"), max_bytes=1024)
    with app.test_request_context():
        response = storage.serve(stored)
        response.direct_passthrough = False
        assert response.get_data() == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''plan%20a%C3%B1o%202025.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_storage_keys_cannot_leave_the_upload_folder(app):
    with app.test_request_context():
        for key in ("../config.py", "a/b.png", ".hidden", ""):
            missing = storage.StoredFile(key=key, content_type="image/png", size=1, original_name="x.png")
            with pytest.raises(Exception) as refused:
                storage.serve(missing)
            assert getattr(refused.value, "code", None) == 404


# --- forms: no typed text is ever lost -----------------------------------------------------------

TYPED = {"title": "Mi propuesta sobre datos abiertos",
         "body": "Un texto largo escrito durante horas, con acentos: participación ciudadana."}


def _expired_token(app, client) -> str:
    """A real Flask-WTF token for the client's session, signed as if long ago."""
    with client.session_transaction() as stored:
        raw = stored["csrf_token"]
    long_ago = int(time.time()) - 10 * app.config["WTF_CSRF_TIME_LIMIT"]
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: long_ago
    try:
        with app.test_request_context():
            g.pop("csrf_token", None)  # the test's app context may keep a token from an earlier request
            session["csrf_token"] = raw
            return generate_csrf()
    finally:
        TimestampSigner.get_timestamp = original


def _assert_form_came_back(response, app):
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert str(escape(TYPED["title"])) in html and str(escape(TYPED["body"])) in html
    with app.app_context():
        assert _in_spanish(CSRF_EXPIRED_MESSAGE) in html
    return html


def test_a_form_posted_with_an_expired_token_comes_back_with_its_text_and_a_fresh_token(app, client):
    client.get("/_probe/form")
    expired = _expired_token(app, client)
    html = _assert_form_came_back(client.post("/_probe/form", data=TYPED | {"csrf_token": expired}), app)
    fresh = _csrf_token(html)
    assert fresh != expired
    sent_again = client.post("/_probe/form", data=TYPED | {"csrf_token": fresh})
    assert sent_again.status_code == 200 and "Saved: Mi propuesta" in sent_again.get_data(as_text=True)


def test_a_form_posted_without_a_token_or_without_a_session_comes_back_with_its_text(app, client):
    _assert_form_came_back(client.post("/_probe/form", data=TYPED), app)
    # The session ended (its cookie is gone) while the page was open: same answer, never a bare 400.
    token = _csrf_token(client.get("/_probe/form").get_data(as_text=True))
    client.delete_cookie("session", domain="localhost")
    _assert_form_came_back(client.post("/_probe/form", data=TYPED | {"csrf_token": token}), app)


def test_a_visitors_post_to_a_sign_in_page_is_kept_until_they_sign_in(app, db, client, login_as):
    html = client.get("/_probe/form").get_data(as_text=True)
    response = client.post("/_probe/private", data=TYPED | {"csrf_token": _csrf_token(html)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/cuenta/ingresar?next=/_probe/private")

    login_as(make_user())
    shown = client.get("/_probe/private").get_data(as_text=True)
    assert str(escape(TYPED["title"])) in shown and str(escape(TYPED["body"])) in shown
    assert TYPED["title"] not in client.get("/_probe/private").get_data(as_text=True), "the stash is used once"


def test_the_stash_is_only_given_back_on_the_same_page(app, db, client, login_as):
    client.post("/_probe/private", data=TYPED)
    login_as(make_user())
    assert TYPED["title"] not in client.get("/_probe/form").get_data(as_text=True)
    assert str(escape(TYPED["title"])) in client.get("/_probe/private").get_data(as_text=True)


def test_form_attaches_a_domain_error_next_to_its_field(app):
    from tests.support.probe import ProbeForm

    with app.test_request_context(method="POST", data=TYPED):
        form = ProbeForm(meta={"csrf": False})
        form.attach(DomainError("body", "Too similar to proposal 12."))
        form.attach(DomainError(None, "The window closed."))
        assert form.body.errors == ["Too similar to proposal 12."]
        assert form.all_errors == [(None, "The window closed."), ("body", "Too similar to proposal 12.")]


# --- permissions ---------------------------------------------------------------------------------

@dataclass
class FakeUser:
    is_authenticated: bool = True
    is_active: bool = True


def test_unknown_actions_are_refused_and_rules_register_once():
    assert not permissions.can(FakeUser(), "no-such-action")
    assert not permissions.can(None, "probe_signed_in")
    with pytest.raises(PermissionDenied):
        permissions.require(FakeUser(), "no-such-action")
    with pytest.raises(RuntimeError):
        permissions.rule("probe_signed_in")(lambda user, obj: True)
    assert permissions.can(FakeUser(), "probe_signed_in")
    assert not permissions.can(AnonymousUserMixin(), "probe_signed_in")


def test_suspended_people_may_take_only_actions_opened_to_them():
    suspended = FakeUser(is_active=False)
    assert not permissions.can(suspended, "probe_signed_in")
    action = f"probe_appeal_{uuid.uuid4().hex[:6]}"
    permissions.rule(action, allow_suspended=True)(lambda user, obj: True)
    assert permissions.can(suspended, action)


def test_permission_refused_is_a_403_page_for_a_signed_in_person(app, db, client, login_as):
    login_as(make_user())
    response = client.get("/_probe/forbidden")
    assert response.status_code == 403
    assert "<h1>" + _in_spanish("You cannot do this here") in response.get_data(as_text=True)
    token = _csrf_token(client.get("/_probe/form").get_data(as_text=True))
    assert client.post("/_probe/forbidden", data={"csrf_token": token}).status_code == 403
    assert client.post("/_probe/forbidden").status_code == 403, "a refused POST without a token is still a 403"


def test_permission_refused_sends_a_visitor_to_sign_in(client):
    response = client.get("/_probe/forbidden")
    assert response.status_code == 302
    assert response.headers["Location"] == "/cuenta/ingresar?next=/_probe/forbidden"
    assert client.post("/_probe/forbidden").status_code == 302


# --- web: headers, error pages, language ---------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/no-such-page", "/lang/en?next=/", "/static/css/site.css", "/health",
                                  "/_probe/forbidden"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()
    csp = response.headers["Content-Security-Policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_home_page_is_spanish_by_default_and_english_after_the_switch(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Saltar al contenido" in html
    switched = client.get("/lang/en?next=/")
    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Skip to content" in html and "Saltar al contenido" not in html
    client.get("/lang/es?next=/")
    assert '<html lang="es">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:alert(1)"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(client):
    client.get("/lang/xx?next=/")
    assert '<html lang="es">' in client.get("/").get_data(as_text=True)


ERROR_TITLES = {404: "Page not found", 403: "You cannot do this here", 500: "Something went wrong on our side",
                413: "The upload is too large"}


def _error_response(client, app, code, monkeypatch):
    if code == 404:
        return client.get("/no-such-page")
    if code == 403:
        return client.get("/_probe/forbidden")
    if code == 500:
        monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
        return client.get("/_probe/boom")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    return client.post("/_probe/form", data={"title": "x", "body": "y" * 5000})


@pytest.mark.parametrize("code", sorted(ERROR_TITLES))
def test_error_pages_are_in_spanish_by_default_and_english_after_the_switch(app, db, client, login_as,
                                                                             monkeypatch, code):
    if code == 403:
        login_as(make_user())
    response = _error_response(client, app, code, monkeypatch)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html
    assert f"<h1>{_in_spanish(ERROR_TITLES[code])}</h1>" in html

    client.get("/lang/en?next=/")
    response = _error_response(client, app, code, monkeypatch)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html and f"<h1>{ERROR_TITLES[code]}</h1>" in html


def test_testing_clock_endpoint_exists_only_with_testing_hooks(app, client, clock, monkeypatch):
    instant = {"now": "2025-04-05T23:30:00-03:00"}
    assert client.post("/_testing/clock", json=instant).status_code == 404
    assert not core_clock.is_frozen()
    monkeypatch.setitem(app.config, "TESTING_HOOKS", True)
    response = client.post("/_testing/clock", json=instant)
    assert response.status_code == 200
    assert core_clock.now() == datetime(2025, 4, 6, 2, 30, tzinfo=UTC)
    assert client.post("/_testing/clock", json={"now": "2025-04-05T23:30:00"}).status_code == 400
    assert client.post("/_testing/clock", json={"now": "not a date"}).status_code == 400
    assert client.post("/_testing/clock", json={"now": None}).get_json()["frozen"] is False


# --- rate limits ---------------------------------------------------------------------------------

RATE_LIMIT_PREFIX = f"consulta-tests-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def limited_app(app, workdir, make_app):
    # Hits stay in Redis for the limit's minute: a prefix of this run's own keeps runs apart.
    return make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], UPLOAD_DIR=str(workdir),
                        RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute",
                        RATELIMIT_KEY_PREFIX=f"{RATE_LIMIT_PREFIX}-{uuid.uuid4().hex[:6]}")


def test_rate_limit_answers_429_with_the_error_page_in_both_languages(limited_app):
    spanish = limited_app.test_client()
    spanish.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    codes = [spanish.get("/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    html = spanish.get("/").get_data(as_text=True)
    with limited_app.test_request_context():
        assert f"<h1>{_in_spanish('Too many requests')}</h1>" in html

    english = limited_app.test_client()
    english.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    english.get("/lang/en?next=/")
    for _ in range(2):
        english.get("/")
    response = english.get("/")
    assert response.status_code == 429
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "<h1>Too many requests</h1>" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_rate_limit_storage_is_redis_when_redis_url_is_set(limited_app):
    from limits.storage import MemoryStorage, RedisStorage

    storage = limiter_of(limited_app).storage
    redis_url = limited_app.config.get("REDIS_URL")
    if not redis_url:
        assert isinstance(storage, MemoryStorage)
        return
    import redis

    assert isinstance(storage, RedisStorage)
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.3"
    client.get("/")
    keys = redis.Redis.from_url(redis_url).keys(f"*{limited_app.config['RATELIMIT_KEY_PREFIX']}*")
    assert keys, "the hit did not land in Redis"


def test_the_suite_runs_on_the_database_and_limiter_the_environment_names(app):
    """The second CI pass must really be on PostgreSQL and the Redis limiter, not silently on SQLite."""
    from consulta.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
    if os.environ.get("DATABASE_URL"):
        assert dialect == "postgresql"
    else:
        assert dialect == "sqlite"
    if IN_CI and os.environ.get("DATABASE_URL"):
        assert os.environ.get("REDIS_URL"), "CI's PostgreSQL pass runs with REDIS_URL"
    if os.environ.get("REDIS_URL"):
        import redis

        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
        assert app.config["RATELIMIT_STORAGE_URI"] == os.environ["REDIS_URL"]


# --- configuration and schema --------------------------------------------------------------------

REAL_KEY = "k" * 48


@pytest.mark.parametrize("overrides, message", [
    ({"SECRET_KEY": None}, "real SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "real SECRET_KEY"),
    ({"SECRET_KEY": "testing-only-key"}, "real SECRET_KEY"),
    ({"SECRET_KEY": REAL_KEY, "TESTING_HOOKS": True}, "testing hooks"),
    ({"SECRET_KEY": REAL_KEY, "TESTING": True}, "testing hooks"),
])
def test_production_config_refuses_unsafe_settings(app, make_app, overrides, message):
    with pytest.raises(RuntimeError, match=message):
        make_app(config.ProductionConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                   **overrides)


def test_production_config_starts_with_a_real_key_and_secure_cookies(app, make_app):
    production = make_app(config.ProductionConfig, SECRET_KEY=REAL_KEY,
                          SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    assert production.test_client().post("/_testing/clock", json={"now": None}).status_code == 404
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["SESSION_COOKIE_HTTPONLY"]
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not production.config["TESTING_HOOKS"]


@pytest.mark.parametrize("environment, message", [
    ({"SECRET_KEY": ""}, "real SECRET_KEY"),
    ({"SECRET_KEY": REAL_KEY, "CONSULTA_TESTING_HOOKS": "1"}, "testing hooks"),
])
def test_production_refuses_to_start_from_the_environment(environment, message, workdir):
    env = os.environ | {"CONSULTA_ENV": "production", "DATABASE_URL": database_url(workdir, "production")} \
        | environment
    started = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert started.returncode != 0
    assert message in started.stderr


def test_models_and_migrations_agree(app):
    from consulta.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], ("models and migrations differ; add a migration "
                               f"(flask db migrate): {differences}")


def test_migrations_that_copy_a_table_run_on_a_sqlite_database_with_rows_pointing_at_it(tmp_path):
    """SQLite changes a column by copying its table; the migrations turn foreign keys off to do it
    (a reply pointing at a comment made `DROP TABLE comment` fail), check every reference, and turn
    them on again for the connections that follow."""
    from flask_migrate import downgrade, upgrade

    from consulta.consultation.services import post_comment
    from consulta.extensions import db
    from tests.conftest import separate_app
    from tests.factories import make_comment

    copied = separate_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'copied.db'}")
    with copied.app_context():
        upgrade()
        question = make_comment()
        reply = post_comment(None, reply_to=question, author=make_user(), text="Una respuesta.")
        db.session.commit()
        ids = (question.id, reply.id)
        db.session.remove()
        downgrade(revision="c822b0c1cd6e")  # drops comment.speaks_for: the comment table is copied
        upgrade()
        assert db.session.execute(text("SELECT parent_id FROM comment WHERE id = :id"),
                                  {"id": ids[1]}).scalar() == ids[0]
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
