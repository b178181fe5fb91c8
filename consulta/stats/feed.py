"""A cycle's news as an Atom feed (RFC 4287): new proposals, published responses and the plan's
commitments, newest first, at most FEED_ENTRIES. Each kind is read through its domain's public query,
newest first and bounded, so the feed costs the same however long the cycle has run.

    entries(cycle) -> list[Entry];  feed(cycle) -> dict for templates/stats/feed.xml
"""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from consulta.commitments import services as commitments
from consulta.core import clock
from consulta.core.outbox import absolute_url
from consulta.extensions import db
from consulta.proposals import services as proposals
from consulta.proposals.models import Proposal
from consulta.triage import services as triage
from consulta.triage.models import PublishedResponse

FEED_ENTRIES = 50
SUMMARY_MAX = 500
# Characters XML 1.0 cannot carry, even escaped: a typed control character must not break the feed.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Entry:
    id: str
    kind: str  # proposal, response or commitment: the entry's category
    title: str
    updated: datetime
    link: str
    author: str
    summary: str


def _text(value: str | None, limit: int | None = None) -> str:
    text = " ".join(NOT_XML.sub("", value or "").split())
    return text if limit is None or len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _proposal_url(proposal) -> str:
    return absolute_url("proposals.detail", **proposals.proposal_url_values(proposal))


def _proposals(cycle, limit) -> list[Entry]:
    query = (proposals.received(cycle).order_by(None).order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
             .options(joinedload(Proposal.organisation), joinedload(Proposal.author)).limit(limit))
    return [Entry(_proposal_url(proposal), "proposal",
                  _text(_("New proposal %(reference)s: %(title)s", reference=proposal.reference, title=proposal.title)),
                  proposal.submitted_at, _proposal_url(proposal),
                  _text(proposal.public_author) or cycle.jurisdiction.name, _text(proposal.problem, SUMMARY_MAX))
            for proposal in db.session.scalars(query)]


def _responses(cycle, limit) -> list[Entry]:
    query = (triage.published_in(cycle).order_by(None)
             .order_by(PublishedResponse.published_at.desc(), PublishedResponse.id.desc())
             .options(joinedload(PublishedResponse.proposal)).limit(limit))
    return [Entry(f"{_proposal_url(response.proposal)}#respuesta-{response.number}", "response",
                  _text(_("Response to %(reference)s: %(outcome)s", reference=response.proposal.reference,
                          outcome=response.outcome.label)),
                  response.published_at, _proposal_url(response.proposal), cycle.jurisdiction.name,
                  _text(triage.plain(response.text), SUMMARY_MAX))
            for response in db.session.scalars(query)]


def _commitments(cycle) -> list[Entry]:
    entries = []
    for commitment in commitments.plan(cycle):
        url = absolute_url("commitments.detail", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug,
                           number=commitment.number)
        entries.append(Entry(url, "commitment", _text(_("Commitment N° %(number)s: %(name)s",
                                                         number=commitment.number, name=commitment.name)),
                             commitment.created_at, url, _text(commitment.entity.name),
                             _text(commitment.commitment_text, SUMMARY_MAX)))
    return entries


def entries(cycle, limit: int = FEED_ENTRIES) -> list[Entry]:
    found = _proposals(cycle, limit) + _responses(cycle, limit) + _commitments(cycle)
    return sorted(found, key=lambda entry: entry.updated, reverse=True)[:limit]


def atom_time(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def feed(cycle) -> dict:
    listed = entries(cycle)
    url = absolute_url("stats.feed", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug)
    return {
        "id": url, "url": url, "entries": listed,
        "title": _text(_("%(cycle)s · %(jurisdiction)s: news", cycle=cycle.name,
                         jurisdiction=cycle.jurisdiction.name)),
        "page": absolute_url("cycles.detail", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug),
        "author": _text(cycle.jurisdiction.name),
        "updated": listed[0].updated if listed else clock.now(),
    }
