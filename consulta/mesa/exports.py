"""A published version of the plan in the OGP action-plan shape: the page, JSON, DOCX and PDF.

Every format reads the same `plan_content(publication)`: the frozen commitments by thematic area
(the seed's "Resumen Compromisos"), each with its fields, activities and dates and the proposals it
came from, the Mesa's act, the observations and their answers, and an annex with the reasoned
response to every proposal and comment of the cycle.
"""
import io
import json
import os
from datetime import date, datetime
from functools import cache
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from sqlalchemy import select

from consulta.commitments import services as commitments
from consulta.core.i18n import local_date, local_datetime
from consulta.extensions import db
from consulta.mesa import services
from consulta.proposals.models import OgpValue, Proposal
from consulta.proposals.services import areas

MIMETYPES = {
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
ANNEX_SHARES = (0.35, 0.15, 0.5)


# --- what every format says ----------------------------------------------------------------------

def _origins(cycle, references) -> dict[str, Proposal]:
    if not references:
        return {}
    return {proposal.reference: proposal for proposal in db.session.scalars(
        select(Proposal).where(Proposal.cycle_id == cycle.id, Proposal.reference.in_(references)))}


def _act(act) -> dict:
    confirmed = {row.seat_id: row.confirmed_at for row in act.confirmations}
    return {
        "decision": act.decision,
        "held_on": act.meeting.held_on,
        "meeting_id": act.meeting_id,
        "version": act.version.number,
        "dissent": act.dissent,
        "votes": [{"seat": row.seat, "vote": row.vote, "confirmed_at": confirmed.get(row.seat_id)}
                  for row in act.votes],
        "tally": act.tally(),
    }


def plan_content(publication) -> dict:
    """The published version's content, with Python dates (the formats write them their own way)."""
    version, cycle = publication.version, publication.cycle
    frozen = commitments.readable(version)
    origins = _origins(cycle, sorted({reference for item in frozen for reference in item["proposals"]}))
    for item in frozen:
        item["origins"] = [origins[reference] for reference in item["proposals"] if reference in origins]
        item["value_labels"] = [str(OgpValue[code].label) for code in item["values"]]
    order = {area.name: position for position, area in enumerate(areas(cycle))}
    groups: dict[str, list] = {}
    for item in sorted(frozen, key=lambda item: (order.get(item["area"], len(order)), item["number"])):
        groups.setdefault(item["area"], []).append(item)
    return {
        "jurisdiction": cycle.jurisdiction,
        "cycle": cycle,
        "version": version,
        "publication": publication,
        "commitments": sorted(frozen, key=lambda item: item["number"]),
        "areas": list(groups.items()),
        "act": _act(publication.act),
        "observations": services.observations_of(cycle),
        "annex": services.responses(cycle),
    }


def file_name(publication, fmt: str) -> str:
    cycle = publication.cycle
    return f"{cycle.jurisdiction.slug}-{cycle.slug}-v{publication.version.number}.{fmt}"


def render(publication, fmt: str) -> tuple[bytes, str]:
    content = plan_content(publication)
    writer = {"json": as_json, "docx": as_docx, "pdf": as_pdf}[fmt]
    return writer(content), MIMETYPES[fmt]


def _period(first: date, last: date) -> str:
    return f"{local_date(first)} – {local_date(last)}"


def _observation_about(observation) -> str:
    if observation.commitment_number is None:
        return _("Version %(number)s of the plan as a whole", number=observation.version.number)
    return _("Commitment N° %(number)s (version %(version)s)", number=observation.commitment_number,
             version=observation.version.number)


# --- JSON ----------------------------------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def as_json(content: dict) -> bytes:
    cycle, version, publication, act = content["cycle"], content["version"], content["publication"], content["act"]
    data = {
        "jurisdiction": content["jurisdiction"].name,
        "cycle": {"name": cycle.name, "code": cycle.code, "starts_on": cycle.starts_on, "ends_on": cycle.ends_on},
        "version": {"number": version.number, "label": version.label, "frozen_at": version.created_at},
        "published_at": publication.published_at,
        "correction_reason": publication.reason,
        "approval": {
            "decision": act["decision"].name,
            "meeting_held_on": act["held_on"],
            "votes": [{"sector": row["seat"].sector.name, "holder": row["seat"].holder.public_name,
                       "vote": row["vote"].name, "confirmed_at": row["confirmed_at"]} for row in act["votes"]],
            "dissent": act["dissent"],
        },
        "commitments": [{
            "number": item["number"], "name": item["name"], "thematic_area": item["area"],
            "responsible_entity": item["entity"], "supporting_institutions": item["supporting"],
            "starts_on": item["starts_on"], "ends_on": item["ends_on"], "problem": item["problem"],
            "commitment": item["commitment"], "contribution": item["contribution"], "ogp_values": item["values"],
            "activities": [{"name": activity["name"], "starts_on": activity["starts_on"],
                            "ends_on": activity["ends_on"]} for activity in item["activities"]],
            "origin_proposals": [{"reference": proposal.reference, "title": proposal.title}
                                 for proposal in item["origins"]],
        } for item in content["commitments"]],
        "observations": [{"about_version": observation.version.number,
                          "about_commitment": observation.commitment_number, "observation": observation.body,
                          "answer": observation.answer} for observation in content["observations"]],
        "annex": {
            "proposals": [row.as_dict() for row in content["annex"].proposals],
            "comments": [row.as_dict() for row in content["annex"].comments],
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2, default=_jsonable).encode()


# --- the outline both documents follow -----------------------------------------------------------

def _outline(content: dict):
    """The document as a list of blocks: ("title"|"heading"|"subheading"|"paragraph", text) and
    ("table", header, rows, column shares). DOCX and PDF each draw them their own way."""
    cycle, version, publication, act = content["cycle"], content["version"], content["publication"], content["act"]
    yield "title", f"{cycle.name} · {content['jurisdiction'].name}"
    yield "paragraph", _("Version %(number)s of the plan, published on %(when)s.", number=version.number,
                         when=local_datetime(publication.published_at, cycle.jurisdiction.timezone))
    if publication.reason:
        yield "paragraph", _("Correction: %(reason)s", reason=publication.reason)

    yield "heading", _("Summary of commitments")
    rows = [[area, _("%(name)s (commitment N° %(number)s)", name=item["name"], number=item["number"]), item["entity"]]
            for area, items in content["areas"] for item in items]
    yield "table", [_("Thematic area"), _("Name of the commitment"), _("Responsible entity")], rows, (0.25, 0.5, 0.25)

    for item in content["commitments"]:
        yield "heading", _("Commitment N° %(number)s: %(name)s", number=item["number"], name=item["name"])
        yield "paragraph", f"{_('Thematic area')}: {item['area']}"
        yield "paragraph", f"{_('Responsible entity')}: {item['entity']}"
        if item["supporting"]:
            yield "paragraph", f"{_('Supporting institutions')}: {item['supporting']}"
        yield "paragraph", f"{_('Execution period')}: {_period(item['starts_on'], item['ends_on'])}"
        yield "paragraph", f"{_('Open Government values')}: {', '.join(item['value_labels'])}"
        for label, key in ((_("The problem it addresses"), "problem"), (_("What is the commitment?"), "commitment"),
                           (_("How it contributes to solving the problem"), "contribution")):
            if item[key]:
                yield "subheading", label
                yield "paragraph", item[key]
        if item["activities"]:
            yield "subheading", _("Activities and deliverables")
            yield "table", [_("Activity and deliverable"), _("Start date"), _("End date")], [
                [activity["name"], local_date(activity["starts_on"]), local_date(activity["ends_on"])]
                for activity in item["activities"]], (0.6, 0.2, 0.2)
        if item["origins"]:
            yield "subheading", _("Proposals it comes from")
            for proposal in item["origins"]:
                yield "paragraph", f"{proposal.reference}: {proposal.title}"

    yield "heading", _("Approval by the Mesa de Gobierno Abierto")
    yield "paragraph", _("%(decision)s on %(day)s, for version %(number)s.", decision=act["decision"].label,
                         day=local_date(act["held_on"]), number=act["version"])
    yield "table", [_("Seat"), _("Holder"), _("Vote")], [
        [str(row["seat"].sector.label), row["seat"].holder.public_name, str(row["vote"].label)] for row in act["votes"]
    ], (0.35, 0.4, 0.25)
    if act["dissent"]:
        yield "subheading", _("Dissent")
        yield "paragraph", act["dissent"]

    if content["observations"]:
        yield "heading", _("Observations of the Mesa and their answers")
        for observation in content["observations"]:
            yield "subheading", _observation_about(observation)
            yield "paragraph", observation.body
            yield "paragraph", f"{_('Answer')}: {observation.answer or _('Not answered yet.')}"

    annex = content["annex"]
    yield "heading", _("Annex: reasoned responses")
    yield "subheading", _("Proposals")
    yield "table", [_("Proposal"), _("Outcome"), _("Reasoned response")], [
        [f"{row.reference}: {row.title}", row.outcome, row.response] for row in annex.proposals], ANNEX_SHARES
    yield "subheading", _("Comments of the public consultation")
    yield "table", [_("Comment"), _("Outcome"), _("Reasoned response")], [
        [f"{row.reference}: {row.title}", row.outcome, row.response] for row in annex.comments], ANNEX_SHARES


# --- DOCX ----------------------------------------------------------------------------------------

def as_docx(content: dict) -> bytes:
    return write_docx(_outline(content))


def write_docx(blocks) -> bytes:
    """A DOCX of outline blocks (see `_outline`); other documents (monitoring's progress report) use it too."""
    from docx import Document

    document = Document()
    for block in blocks:
        kind = block[0]
        if kind == "title":
            document.add_heading(block[1], level=0)
        elif kind == "heading":
            document.add_heading(block[1], level=1)
        elif kind == "subheading":
            document.add_heading(block[1], level=2)
        elif kind == "paragraph":
            document.add_paragraph(block[1])
        else:
            _, header, rows, _shares = block
            table = document.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = text
            for row in rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = text or ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------------

@cache
def _fonts() -> tuple[str, str]:
    """Bitstream Vera, shipped inside reportlab: every Spanish letter, embedded in the file."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont("ConsultaVera", os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("ConsultaVeraBold", os.path.join(folder, "VeraBd.ttf")))
    return "ConsultaVera", "ConsultaVeraBold"


def _pdf_text(text: str) -> str:
    return escape(text or "").replace("\n", "<br/>")


def as_pdf(content: dict) -> bytes:
    cycle = content["cycle"]
    return write_pdf(_outline(content), title=f"{cycle.name} · {content['jurisdiction'].name}",
                     author=content["jurisdiction"].name)


def write_pdf(blocks, *, title: str, author: str) -> bytes:
    """A PDF of outline blocks (see `_outline`); other documents (monitoring's progress report) use it too."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    styles = {
        "title": ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, spaceAfter=10),
        "heading": ParagraphStyle("heading", fontName=bold, fontSize=14, leading=18, spaceBefore=12, spaceAfter=6),
        "subheading": ParagraphStyle("subheading", fontName=bold, fontSize=11, leading=14, spaceBefore=8,
                                     spaceAfter=4),
        "paragraph": ParagraphStyle("paragraph", fontName=regular, fontSize=10, leading=13, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=11),
        "header": ParagraphStyle("header", fontName=bold, fontSize=8.5, leading=11),
    }
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                                 bottomMargin=2 * cm, title=title, author=author)
    story = []
    for block in blocks:
        kind = block[0]
        if kind != "table":
            story.append(Paragraph(_pdf_text(block[1]), styles[kind]))
            continue
        _, header, rows, shares = block
        cells = [[Paragraph(_pdf_text(text), styles["header"]) for text in header]]
        cells += [[Paragraph(_pdf_text(text), styles["cell"]) for text in row] for row in rows]
        table = Table(cells, colWidths=[document.width * share for share in shares], repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.extend([table, Spacer(1, 6)])
    document.build(story)
    return buffer.getvalue()
