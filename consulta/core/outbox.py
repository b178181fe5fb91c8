"""Email goes out through an outbox table.

`queue_email` writes a row in the same transaction as the change that caused it, so a rolled
back change sends nothing and a committed one is never forgotten. `deliver_pending` (the
`flask outbox send` command) claims each row with a conditional UPDATE, so two senders running at
once never send the same row, and retries failures with back-off.
"""
import enum
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app, g, render_template
from flask.cli import AppGroup
from flask_mail import Message
from jinja2 import TemplateNotFound
from sqlalchemy import Index, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from consulta.core import clock
from consulta.extensions import db, mail

log = logging.getLogger("consulta.outbox")

# A claim older than this belongs to a sender that died mid-delivery; the row is taken again.
STALE_CLAIM = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)


class DeliveryStatus(enum.Enum):
    # Delivery bookkeeping, not a domain state: it has no public history and no audit rows.
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_email_due", "status", "next_attempt_at"),)


def queue_email(recipient, *, subject: str, template: str, **context) -> OutboxEmail:
    """Queue a message rendered from `<template>.txt` (and `<template>.html` when it exists).

    `recipient` is an address or anything with an `email` attribute. Nothing is sent until the
    surrounding transaction commits.
    """
    address = getattr(recipient, "email", recipient)
    body_text = render_template(f"{template}.txt", recipient=recipient, **context)
    try:
        body_html = render_template(f"{template}.html", recipient=recipient, **context)
    except TemplateNotFound:
        body_html = None
    email = OutboxEmail(recipient=address, subject=subject[:200], body_text=body_text, body_html=body_html,
                        next_attempt_at=clock.now())
    db.session.add(email)
    g.outbox_queued = True
    return email


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for an email, on BASE_URL: never the Host header of the request that caused
    the email (a forged Host must not end up in someone's inbox), and usable outside requests."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


def _claim(email_id: int, at: datetime) -> str | None:
    """Take a due row for this sender (and count the attempt); the token proves the claim later."""
    token = uuid.uuid4().hex
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            or_(
                (OutboxEmail.status == DeliveryStatus.PENDING) & (OutboxEmail.next_attempt_at <= at),
                (OutboxEmail.status == DeliveryStatus.SENDING) & (OutboxEmail.claimed_at < at - STALE_CLAIM),
            ),
        )
        .values(status=DeliveryStatus.SENDING, claim_token=token, claimed_at=at,
                attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return token if claimed == 1 else None


def _record_outcome(email_id: int, token: str, **values) -> None:
    """Write the outcome of a claimed row, only while this sender's claim still holds."""
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.claim_token == token)
        .values(claim_token=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _send(email) -> None:
    """Deliver one message (a row with recipient, subject, body_text and body_html)."""
    if not current_app.config.get("MAIL_SERVER"):
        # Development: print the message, links included, so the newcomer can click them.
        click.echo(f"\n--- email to {email.recipient}: {email.subject}\n{email.body_text}\n--- end of email\n")
        log.info("email to %s printed to the console: %s", email.recipient, email.subject)
        return
    message = Message(subject=email.subject, recipients=[email.recipient], body=email.body_text,
                      html=email.body_html)
    mail.send(message)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def deliver_pending(limit: int = 100) -> DeliveryReport:
    """Deliver the messages that are due. Safe to run in several processes at once."""
    report = DeliveryReport()
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    now = clock.now()
    due = db.session.scalars(
        select(OutboxEmail.id)
        .where(or_(
            (OutboxEmail.status == DeliveryStatus.PENDING) & (OutboxEmail.next_attempt_at <= now),
            (OutboxEmail.status == DeliveryStatus.SENDING) & (OutboxEmail.claimed_at < now - STALE_CLAIM),
        ))
        .order_by(OutboxEmail.id).limit(limit)
    ).all()
    db.session.commit()
    # Each write below is the first statement of its own transaction, and no transaction stays open
    # while a message is sent: on SQLite a transaction that reads and then writes fails at once
    # ("database is locked") when another sender wrote in between, whatever the busy timeout.
    for email_id in due:
        token = _claim(email_id, now)
        if token is None:
            report.skipped += 1
            continue
        email = db.session.execute(
            select(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.body_text,
                   OutboxEmail.body_html, OutboxEmail.attempts)
            .where(OutboxEmail.id == email_id)
        ).one()
        db.session.commit()
        try:
            _send(email)
        except Exception as error:  # any transport failure is retried, never lost
            last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= max_attempts:
                _record_outcome(email_id, token, status=DeliveryStatus.FAILED, last_error=last_error)
                report.failed += 1
                log.error("email %s failed for good after %s attempts: %s", email_id, email.attempts, error)
            else:
                _record_outcome(email_id, token, status=DeliveryStatus.PENDING, last_error=last_error,
                                next_attempt_at=clock.now() + backoff(email.attempts))
                report.retrying += 1
                log.warning("email %s failed (attempt %s), retrying: %s", email_id, email.attempts, error)
        else:
            _record_outcome(email_id, token, status=DeliveryStatus.SENT, sent_at=clock.now(), last_error=None)
            report.sent += 1
    return report


def _send_after_request(response):
    if g.get("outbox_queued"):
        try:
            deliver_pending(limit=20)
        except Exception:  # the request already succeeded; the worker or next request retries
            log.exception("inline outbox delivery failed")
            db.session.rollback()
    return response


outbox_cli = AppGroup("outbox", help="The email outbox.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="Messages to try in this run.")
def send_command(limit):
    """Deliver every message that is due."""
    report = deliver_pending(limit=limit)
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
               f"taken by another sender {report.skipped}")
    if report.failed:
        raise SystemExit(1)


def init_app(app):
    app.cli.add_command(outbox_cli)
    if app.config.get("OUTBOX_SEND_INLINE"):
        app.after_request(_send_after_request)
