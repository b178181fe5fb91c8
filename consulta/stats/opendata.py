"""Datos abiertos: a cycle's public records as datasets in CSV, JSON and XLSX, and one ZIP of them all.

Each dataset is its columns (name and description, defined once: every format and the README use
them) and its rows, read through the owning domain's public query, so that the files say no more than
the pages do: no email, phone or private note; no comment that is not published; attendance as counts
per table and the organisations present, never people's names.

    DATASETS, dataset(slug) -> Dataset | None
    download(cycle, dataset, fmt) -> Response       one file, streamed
    archive(cycle) -> Response                      the ZIP with README.md, built aside and streamed
"""
import zipfile
from dataclasses import dataclass
from typing import Callable

from flask import Response, render_template, stream_with_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from consulta.commitments import services as commitments
from consulta.consultation import services as consultation
from consulta.core import clock, exports
from consulta.core.outbox import absolute_url
from consulta.extensions import db
from consulta.monitoring import services as monitoring
from consulta.proposals import services as proposals
from consulta.tables import services as tables
from consulta.triage import services as triage
from consulta.triage.models import PublishedResponse

README = "README.md"
BATCH = 500  # responses read from the database at a time


@dataclass(frozen=True)
class Dataset:
    slug: str  # its file name, in addresses and in the ZIP (Spanish, like every address)
    key: str  # what its rows are called in the JSON document
    title: str
    description: str
    columns: tuple
    rows: Callable  # rows(cycle) -> iterable of dicts keyed by the columns' names

    @property
    def fields(self) -> tuple[str, ...]:
        return exports.names(self.columns)

    def file_name(self, fmt: str) -> str:
        return f"{self.slug}.{fmt}"


# --- outcomes and responses (triage) --------------------------------------------------------------

RESPONSE_COLUMNS = exports.columns(
    ("proposal_reference", _l("The reference of the proposal answered (see the proposals dataset).")),
    ("proposal_title", _l("The title of the proposal answered.")),
    ("number", _l("The response's number on its proposal: 1 first; later ones correct it or restore it.")),
    ("kind", _l("What the response is (code): an answer, a correction, or restored when a merge was undone.")),
    ("outcome", _l("The outcome it gives the proposal (code): under review, not admissible, merged, "
                   "incorporated into the plan, not taken up.")),
    ("merged_into", _l("For a merge, the reference of the proposal it was merged into.")),
    ("commitment_number", _l("For a proposal incorporated into the plan, the N° of the commitment it went into.")),
    ("response", _l("The public reasoned response, as plain text.")),
    ("published_at", _l("When it was published (ISO 8601, UTC).")),
    ("url", _l("The proposal's public page, where every response stays readable.")),
)


def _responses(cycle):
    query = triage.published_in(cycle).options(joinedload(PublishedResponse.proposal),
                                               joinedload(PublishedResponse.merged_into),
                                               joinedload(PublishedResponse.commitment))
    for response in db.session.scalars(query.execution_options(yield_per=BATCH)):
        proposal = response.proposal
        yield {
            "proposal_reference": proposal.reference, "proposal_title": proposal.title, "number": response.number,
            "kind": response.kind.name, "outcome": response.outcome.name,
            "merged_into": response.merged_into.reference if response.merged_into else "",
            "commitment_number": response.commitment.number if response.commitment else "",
            "response": triage.plain(response.text), "published_at": response.published_at.isoformat(),
            "url": absolute_url("proposals.detail", **proposals.proposal_url_values(proposal)),
        }


# --- working tables and attendance counts ----------------------------------------------------------

TABLE_COLUMNS = exports.columns(
    ("id", _l("The table's number in consulta.")),
    ("title", _l("The table's title.")),
    ("thematic_area", _l("The thematic area it works on.")),
    ("starts_at", _l("When it starts (ISO 8601, UTC).")),
    ("ends_at", _l("When it ends (ISO 8601, UTC).")),
    ("timezone", _l("The time zone of its venue, for reading its times locally.")),
    ("commune", _l("The commune where it meets, if in person.")),
    ("region", _l("The region where it meets (code), if in person.")),
    ("online", _l("Whether it can be attended online (1 or 0).")),
    ("capacity", _l("How many seats it offered.")),
    ("held", _l("Whether it took place: closed with its minutes (1 or 0). Only these count as working tables.")),
    ("attendees", _l("How many people checked in (one per person, registered or walk-in). A count: no names.")),
    ("organisations_present", _l("The organisations present, as its minutes name them.")),
    ("url", _l("Its public page.")),
)


def _tables(cycle):
    for table, held, checked_in in tables.attendance_by_cycle([cycle.id]):
        yield {
            "id": table.id, "title": table.title, "thematic_area": table.area,
            "starts_at": table.starts_at.isoformat(), "ends_at": table.ends_at.isoformat(),
            "timezone": table.venue_timezone, "commune": table.commune or "",
            "region": table.region.name if table.region else "", "online": bool(table.online_link),
            "capacity": table.capacity, "held": held, "attendees": checked_in,
            "organisations_present": table.organisations_present.splitlines(),
            "url": absolute_url("tables.detail", table_id=table.id),
        }


# --- comments: the published ones ------------------------------------------------------------------

def _comments(cycle):
    return consultation.export_rows(cycle, published_only=True)


# --- commitments -----------------------------------------------------------------------------------

COMMITMENT_COLUMNS = exports.columns(
    ("number", _l("The commitment's N° in the plan.")),
    ("name", _l("Its name.")),
    ("thematic_area", _l("Its thematic area.")),
    ("responsible_entity", _l("The public entity responsible for it.")),
    ("supporting_institutions", _l("The institutions that support it, as the plan names them.")),
    ("starts_on", _l("The day it starts (YYYY-MM-DD).")),
    ("ends_on", _l("The day it ends (YYYY-MM-DD).")),
    ("ogp_values", _l("The Open Government values it serves (codes, separated by semicolons in CSV and XLSX).")),
    ("problem", _l("The problem it addresses.")),
    ("commitment", _l("What the commitment is.")),
    ("contribution", _l("How it contributes to solving the problem.")),
    ("activities", _l("How many activities it has (see the activities dataset).")),
    ("origin_proposals", _l("The references of the proposals it came from (see the proposals dataset).")),
    ("url", _l("Its public page.")),
)


def _commitments(cycle):
    for commitment in commitments.plan(cycle):
        yield {
            "number": commitment.number, "name": commitment.name, "thematic_area": commitment.area.name,
            "responsible_entity": commitment.entity.name, "supporting_institutions": commitment.supporting,
            "starts_on": commitment.starts_on.isoformat(), "ends_on": commitment.ends_on.isoformat(),
            "ogp_values": [value.name for value in commitment.values], "problem": commitment.problem,
            "commitment": commitment.commitment_text, "contribution": commitment.contribution,
            "activities": len(commitment.activities),
            "origin_proposals": [origin.proposal.reference for origin in commitment.origins],
            "url": absolute_url("commitments.detail", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug,
                                number=commitment.number),
        }


# --- activities: the published plan's, with their progress (monitoring) ----------------------------

def _activities(cycle):
    return monitoring.export_rows(cycle, monitoring.local_today(cycle.jurisdiction))


DATASETS = (
    Dataset("propuestas", "proposals", _l("Proposals"),
            _l("Every proposal received in the cycle, by any channel, with its state and public response."),
            proposals.EXPORT_COLUMNS, proposals.stream_export_rows),
    Dataset("respuestas", "responses", _l("Outcomes and responses"),
            _l("Every reasoned response published on a proposal, corrections included, oldest first."),
            RESPONSE_COLUMNS, _responses),
    Dataset("mesas", "tables", _l("Working tables and attendance"),
            _l("Every working table of the cycle with how many attended: counts only, never people's names."),
            TABLE_COLUMNS, _tables),
    Dataset("comentarios", "comments", _l("Comments of the public consultation"),
            _l("The published comments on the draft plan, with their answers. Comments hidden by moderation, "
               "withdrawn or waiting for review are left out."),
            consultation.EXPORT_COLUMNS, _comments),
    Dataset("compromisos", "commitments", _l("Commitments"),
            _l("The commitments of the plan, with the proposals they came from."),
            COMMITMENT_COLUMNS, _commitments),
    Dataset("actividades", "activities", _l("Activities and their progress"),
            _l("The activities of the published plan with their status on the day of the download. "
               "Empty until the plan is published."),
            monitoring.EXPORT_COLUMNS, _activities),
)
_BY_SLUG = {dataset.slug: dataset for dataset in DATASETS}


def dataset(slug: str) -> Dataset | None:
    return _BY_SLUG.get(slug)


def _about(cycle, dataset_: Dataset) -> dict:
    return {"jurisdiction": cycle.jurisdiction.name, "cycle": cycle.name, "dataset": dataset_.slug,
            "generated_at": clock.now().isoformat()}


def download(cycle, dataset_: Dataset, fmt: str) -> Response:
    return exports.download(fmt, dataset_.fields, dataset_.rows(cycle),
                            filename=f"{cycle.jurisdiction.slug}-{cycle.slug}-{dataset_.file_name(fmt)}",
                            title=dataset_.slug, key=dataset_.key, **_about(cycle, dataset_))


def archive_name(cycle) -> str:
    return f"{cycle.jurisdiction.slug}-{cycle.slug}-datos.zip"


def readme(cycle) -> str:
    return render_template("stats/open_data_readme.md", cycle=cycle, datasets=DATASETS, formats=exports.FORMATS,
                           generated_at=clock.now())


def _write_archive(cycle, out) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(README, readme(cycle))
        for dataset_ in DATASETS:
            for fmt in exports.FORMATS:
                with zipped.open(dataset_.file_name(fmt), "w") as member:
                    exports.write(fmt, dataset_.fields, dataset_.rows(cycle), member, title=dataset_.slug,
                                  key=dataset_.key, **_about(cycle, dataset_))


def archive(cycle) -> Response:
    """Every dataset in every format and the README, as one ZIP built in a temporary file."""
    return Response(stream_with_context(exports.built(lambda out: _write_archive(cycle, out))),
                    mimetype=exports.MIMETYPES["zip"], headers=exports.attachment(archive_name(cycle)))
