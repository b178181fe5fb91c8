"""Evolución del proceso: the comparison page reads each domain's own counts, links every figure to
exactly the records it counts, and runs a fixed number of statements."""
import csv
import io
import json
import re
import zipfile
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consulta.commitments import services as commitments
from consulta.consultation.services import commitment_target
from consulta.core import clock as core_clock
from consulta.core.sectors import Sector
from consulta.core.windows import window_from_dates
from consulta.cycles.models import PhaseKind
from consulta.proposals import services as proposals
from consulta.proposals.models import Channel, ProposalState, WithdrawalReason
from consulta.stats import feed, opendata, services
from consulta.tables import services as tables
from consulta.triage import services as triage
from tests.factories import (
    make_comment, make_commitment, make_consultation, make_moderator, make_proposal, make_table,
)

FIGURE = re.compile(r'<a href="([^"]+)" data-figure="([^"]+)" data-cycle="([^"]+)">(\d+)</a>')


def figures(client, slug) -> dict:
    """{(cycle code, figure): (value, link)} as the comparison page shows them."""
    response = client.get(f"/estadisticas/{slug}")
    assert response.status_code == 200
    return {(code, name): (int(value), unescape(href))
            for href, name, code, value in FIGURE.findall(response.get_data(as_text=True))}


# --- one scene, every figure -----------------------------------------------------------------------

def _scene(db, clock):
    cycle = make_consultation()
    moderator = make_moderator(cycle.jurisdiction)
    first, second = make_proposal(cycle), make_proposal(cycle)
    held = make_table(cycle, actor=moderator)
    spare = make_table(cycle, actor=moderator)
    clock.at(held.starts_at + timedelta(hours=1))
    tables.walk_in(held, name="Ana", organisation_name="Junta de Vecinos 12", actor=moderator)
    tables.walk_in(held, name="Beto", actor=moderator)
    tables.write_minutes(held, minutes="<p>Acta</p>", organisations_present=["Junta de Vecinos 12"], actor=moderator)
    tables.close_table(held, actor=moderator)
    commitments.link_proposal(commitments.find(cycle, 1), first, actor=moderator)
    comment = make_comment(commitment_target(cycle, 1))
    db.session.flush()
    return {"cycle": cycle, "moderator": moderator, "proposals": [first, second], "held": held, "spare": spare,
            "comment": comment}


def _add_proposal(s):
    make_proposal(s["cycle"])


def _enter_letter(s):
    proposals.enter_from_channel(
        cycle=s["cycle"], channel=Channel.LETTER, received_on=proposals.local_today(s["cycle"]),
        submitter_name="Junta de Vecinos 12", sector=Sector.OSC, title="Una carta", problem="Un problema.",
        body="Una propuesta.", area=proposals.areas(s["cycle"])[0], values=["TRANSPARENCIA"],
        idempotency_key=proposals.new_idempotency_key(), actor=s["moderator"])


def _withdraw_proposal(s):
    proposal = s["proposals"][1]
    proposals.withdraw(proposal, reason=WithdrawalReason.OTHER, actor=proposal.author, note="Ya no aplica.")


def _answer(s):
    triage.decide(s["proposals"][1], outcome=ProposalState.NOT_ACCEPTED, response="No corresponde a este plan.",
                  actor=s["moderator"])


def _hold_spare(s):
    tables.write_minutes(s["spare"], minutes="<p>Acta</p>", actor=s["moderator"])
    tables.close_table(s["spare"], actor=s["moderator"])


def _walk_in(s):
    tables.walk_in(s["spare"], name="Carla", actor=s["moderator"])


def _comment(s):
    make_comment(commitment_target(s["cycle"], 2))


def _reply(s):
    make_comment(reply_to=s["comment"])


def _commitment(s):
    make_commitment(s["cycle"], actor=s["moderator"])


def _link(s):
    commitments.link_proposal(commitments.find(s["cycle"], 2), s["proposals"][1], actor=s["moderator"])


def _withdraw_commitment(s):
    commitments.withdraw_commitment(commitments.find(s["cycle"], 2), reason="Se fusiona con el 1.",
                                    actor=s["moderator"])


SUMS = {"proposals", "area-1"}


@pytest.mark.parametrize("change, changed", [
    (_add_proposal, SUMS | {"sector-CIUDADANIA", "channel-FORM"}),
    (_enter_letter, SUMS | {"sector-OSC", "channel-LETTER"}),
    (_withdraw_proposal, set()),  # a withdrawn proposal was still received
    (_answer, {"answered"}),
    (_hold_spare, {"tables"}),
    (_walk_in, {"attendees"}),
    (_comment, {"comments"}),
    (_reply, {"comments"}),
    (_commitment, {"commitments"}),
    (_link, {"from-proposals"}),
    (_withdraw_commitment, {"commitments"}),
], ids=lambda value: value.__name__.strip("_") if callable(value) else "")
def test_one_record_more_or_less_changes_its_figure_only(client, db, clock, change, changed):
    s = _scene(db, clock)
    slug, code = s["cycle"].jurisdiction.slug, s["cycle"].code
    before = figures(client, slug)
    change(s)
    db.session.flush()
    after = figures(client, slug)
    moved = {name for (cycle_code, name), (value, _link) in after.items()
             if cycle_code == code and before.get((cycle_code, name), (0, None))[0] != value}
    moved |= {name for (cycle_code, name) in before if (cycle_code, name) not in after}
    assert moved == changed


def _listed(client, href) -> set:
    """The records a figure's link lists: proposal references, commitment numbers or record ids."""
    page = client.get(href).get_data(as_text=True)
    assert "page=2" not in page
    if "/propuestas" in urlsplit(href).path or "/cobertura/" in href:
        return set(re.findall(r'/propuestas/([A-Z0-9]+-\d+)"', page))
    if href.endswith("/plan"):
        return {int(number) for number in re.findall(r'/compromisos/(\d+)"', page)}
    return {int(record) for record in re.findall(r'data-record="(\d+)"', page)}


def test_every_figure_links_to_exactly_the_records_it_counts(client, db, clock):
    s = _scene(db, clock)
    _answer(s)
    cycle = s["cycle"]
    shown = {name: (value, href) for (code, name), (value, href) in figures(client, cycle.jurisdiction.slug).items()
             if code == cycle.code}
    received = set(db.session.scalars(select(proposals.Proposal.reference).where(
        proposals.Proposal.cycle_id == cycle.id)))
    expected = {
        "proposals": received,
        "channel-FORM": received,
        "sector-CIUDADANIA": received,
        "area-1": received,
        "answered": {s["proposals"][1].reference},
        "tables": {s["held"].id},
        "comments": set(db.session.scalars(services.comments(cycle).with_only_columns(
            services.consultation.Comment.id))),
        "commitments": {1, 2},
        "from-proposals": {commitments.find(cycle, 1).id},
    }
    for name, records in expected.items():
        value, href = shown[name]
        assert _listed(client, href) == records, name
        assert value == len(records), name
    # Attendees: the tables with their check-in counts and organisations, never the people's names.
    value, href = shown["attendees"]
    page = client.get(href).get_data(as_text=True)
    assert _listed(client, href) == {s["held"].id, s["spare"].id} and value == 2
    assert "Junta de Vecinos 12" in page and "Ana" not in page and "Beto" not in page


def test_the_page_says_when_and_from_how_many_records(english, db, clock):
    s = _scene(db, clock)
    page = english.get(f"/estadisticas/{s['cycle'].jurisdiction.slug}").get_data(as_text=True)
    # 2 proposals + 2 tables + 2 check-ins + 1 comment + 2 commitments.
    assert "from 9 records" in page
    assert "Computed at" in page


def test_the_windows_are_read_from_the_cycle_in_local_dates(db, clock):
    from datetime import date

    cycle = make_consultation()
    phase = cycle.phase(PhaseKind.INTAKE)
    comparison = services.comparison(cycle.jurisdiction)
    (own,) = comparison.cycles
    assert [(w.sector, w.first_day, w.last_day) for w in own.windows] == [
        (None, *services.local_days(phase.window, cycle.jurisdiction.timezone))]
    assert services.local_days(window_from_dates(date(2018, 6, 18), date(2018, 7, 13), "America/Santiago"),
                               "America/Santiago") == (date(2018, 6, 18), date(2018, 7, 13))


def _grow(cycle, moderator, times):
    for _ in range(times):
        make_proposal(cycle)
        make_comment(commitment_target(cycle, 1))
        make_commitment(cycle, actor=moderator)


def test_the_comparison_runs_the_same_statements_at_ten_times_the_records(client, db, clock, count_queries):
    s = _scene(db, clock)
    slug = s["cycle"].jurisdiction.slug
    client.get(f"/estadisticas/{slug}")
    with count_queries() as small:
        client.get(f"/estadisticas/{slug}")
    _grow(s["cycle"], s["moderator"], 10)
    db.session.flush()
    with count_queries() as large:
        assert client.get(f"/estadisticas/{slug}").status_code == 200
    assert small.n == large.n <= 10


def test_the_overview_lists_every_jurisdiction_sortable(client, db, clock):
    s = _scene(db, clock)
    page = client.get("/estadisticas/?orden=propuestas").get_data(as_text=True)
    assert f'data-jurisdiction="{s["cycle"].jurisdiction.slug}"' in page
    assert client.get("/estadisticas/?orden=nonsense").status_code == 200


def test_charts_are_svg_with_a_text_alternative_and_a_table(client, db, clock):
    s = _scene(db, clock)
    page = client.get(f"/estadisticas/{s['cycle'].jurisdiction.slug}").get_data(as_text=True)
    assert page.count('<svg') >= 4 and "<desc" in page and "<script" not in page
    assert 'role="img"' in page


def test_an_unknown_jurisdiction_is_not_found(client, db):
    assert client.get("/estadisticas/nowhere").status_code == 404


# --- open data --------------------------------------------------------------------------------------

SECRET = "ana.privada@example.org"


def _open_data_scene(db, clock):
    """Every dataset with something in it, and private things that must never come out: an author's
    email, a letter's sender's email, a walk-in's name, a hidden comment, a moderator's note."""
    from consulta.consultation import services as consultation
    from consulta.consultation.models import ReportReason
    from tests.factories import make_user

    s = _scene(db, clock)
    cycle, moderator = s["cycle"], s["moderator"]
    s["accented"] = make_proposal(cycle, author=make_user(email=SECRET), title="Participación ciudadana en Ñuñoa")
    proposals.enter_from_channel(
        cycle=cycle, channel=Channel.LETTER, received_on=proposals.local_today(cycle), submitter_name="Junta 12",
        submitter_email="junta.secreta@example.org", sector=Sector.OSC, title="Una carta", problem="Un problema.",
        body="Una propuesta.", area=proposals.areas(cycle)[0], values=["TRANSPARENCIA"], actor=moderator)
    _answer(s)
    triage.add_note(s["proposals"][0], text="NOTA-PRIVADA-4711", actor=moderator)
    hidden = make_comment(commitment_target(cycle, 2), text="Texto oculto por ofensivo")
    consultation.hide(hidden, reason=ReportReason.OFENSIVO, actor=moderator)
    s["hidden"] = hidden
    db.session.flush()
    return s


def _base(cycle) -> str:
    return f"/estadisticas/{cycle.jurisdiction.slug}/{cycle.slug}"


def _read(name, fmt, body) -> tuple[list, list[dict]]:
    """(header, rows) of a dataset file, read back with the csv, json and openpyxl modules."""
    if fmt == "csv":
        text = body.decode("utf-8")
        assert text.startswith("\ufeff")
        reader = csv.reader(io.StringIO(text[1:]))
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]
    if fmt == "json":
        document = json.loads(body.decode("utf-8"))
        rows = document[opendata.dataset(name).key]
        assert document["count"] == len(rows)
        return (list(rows[0]) if rows else None), rows
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    header, *records = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    return header, [dict(zip(header, record)) for record in records]


def _download(client, cycle, name, fmt):
    response = client.get(f"{_base(cycle)}/datos/{name}.{fmt}")
    assert response.status_code == 200, (name, fmt)
    assert "attachment" in response.headers["Content-Disposition"]
    return response


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_every_dataset_reads_back_with_its_columns_and_public_fields_only(client, db, clock, fmt):
    s = _open_data_scene(db, clock)
    cycle = s["cycle"]
    read = {}
    for found in opendata.DATASETS:
        response = _download(client, cycle, found.slug, fmt)
        assert response.is_streamed
        body = response.data
        text = body.decode("utf-8") if fmt != "xlsx" else " ".join(
            str(value) for row in _read(found.slug, fmt, body)[1] for value in row.values())
        for private in (SECRET, "junta.secreta", "NOTA-PRIVADA-4711", "Texto oculto", "Ana", "Beto"):
            assert private not in text, (found.slug, private)
        header, rows = _read(found.slug, fmt, body)
        assert header is None and not rows or list(header) == list(found.fields), found.slug
        read[found.slug] = rows

    received = set(db.session.scalars(select(proposals.Proposal.reference).where(
        proposals.Proposal.cycle_id == cycle.id)))
    assert {row["reference"] for row in read["propuestas"]} == received and len(received) == 4
    accented = next(row for row in read["propuestas"] if row["reference"] == s["accented"].reference)
    assert accented["title"] == "Participación ciudadana en Ñuñoa"
    (response,) = read["respuestas"]
    assert response["proposal_reference"] == s["proposals"][1].reference and response["outcome"] == "NOT_ACCEPTED"
    assert response["response"] == "No corresponde a este plan."
    tables_ = {str(row["id"]): row for row in read["mesas"]}
    assert set(tables_) == {str(s["held"].id), str(s["spare"].id)}
    assert str(tables_[str(s["held"].id)]["attendees"]) == "2"
    assert "Junta de Vecinos 12" in str(tables_[str(s["held"].id)]["organisations_present"])
    assert {str(row["id"]) for row in read["comentarios"]} == {str(s["comment"].id)}
    assert {str(row["number"]) for row in read["compromisos"]} == {"1", "2"}
    first = next(row for row in read["compromisos"] if str(row["number"]) == "1")
    assert s["proposals"][0].reference in str(first["origin_proposals"])
    assert read["actividades"] == []  # the plan is not published yet


def test_activities_are_the_published_plans(client, db, clock):
    from tests.factories import make_published_plan

    commitment = make_published_plan()
    header, rows = _read("actividades", "csv", _download(client, commitment.cycle, "actividades", "csv").data)
    assert [row["activity"] for row in rows] == [activity.name for activity in commitment.activities]
    assert rows[0]["commitment_number"] == str(commitment.number)


def test_the_zip_holds_every_file_and_its_readme_describes_every_column(client, db, clock):
    s = _open_data_scene(db, clock)
    cycle = s["cycle"]
    response = client.get(f"{_base(cycle)}/datos/{cycle.slug}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    expected = {opendata.README} | {f"{found.slug}.{fmt}" for found in opendata.DATASETS for fmt in ("csv", "json", "xlsx")}
    assert set(archive.namelist()) == expected
    readme = archive.read(opendata.README).decode("utf-8")
    sections = readme.split("\n## ")[1:]
    for name in sorted(expected - {opendata.README}):
        slug, fmt = name.rsplit(".", 1)
        body = archive.read(name)
        assert SECRET not in (body.decode("utf-8") if fmt != "xlsx" else "")
        header, rows = _read(slug, fmt, body)
        columns = header or _read(slug, "csv", archive.read(f"{slug}.csv"))[0]
        (section,) = [section for section in sections if f"`{name}`" in section.splitlines()[0]]
        assert columns and all(f"| `{column}` |" in section for column in columns), name
    # The files in the ZIP are the ones the page offers one by one.
    assert _read("propuestas", "csv", archive.read("propuestas.csv"))[1] == _read(
        "propuestas", "csv", _download(client, cycle, "propuestas", "csv").data)[1]


def test_unknown_datasets_formats_and_archives_are_not_found(client, db, clock):
    cycle = _scene(db, clock)["cycle"]
    base = _base(cycle)
    for path in ("/datos/nada.csv", "/datos/propuestas.pdf", "/datos/propuestas", "/datos/otro-ciclo.zip",
                 "/datos/README.md"):
        assert client.get(base + path).status_code == 404, path
    assert client.get(f"/estadisticas/{cycle.jurisdiction.slug}/no-such-cycle/datos").status_code == 404
    assert client.get(f"/estadisticas/{cycle.jurisdiction.slug}/no-such-cycle/datos/propuestas.csv").status_code == 404


def test_the_open_data_page_offers_every_dataset_in_every_format_and_the_zip(client, db, clock):
    cycle = _scene(db, clock)["cycle"]
    page = client.get(f"{_base(cycle)}/datos").get_data(as_text=True)
    assert page.count("<h1") == 1
    for found in opendata.DATASETS:
        for fmt in ("csv", "json", "xlsx"):
            assert f'href="{_base(cycle)}/datos/{found.slug}.{fmt}"' in page
        assert all(f"<code>{column}</code>" in page for column in found.fields)
    assert f'href="{_base(cycle)}/datos/{cycle.slug}.zip"' in page
    # Reached from the comparison page and from the cycle's page.
    assert f'href="{_base(cycle)}/datos"' in client.get(f"/estadisticas/{cycle.jurisdiction.slug}").get_data(as_text=True)
    cycle_page = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}").get_data(as_text=True)
    assert f'href="{_base(cycle)}/datos"' in cycle_page


def test_the_open_data_page_runs_the_same_statements_at_ten_times_the_records(client, db, clock, count_queries):
    s = _scene(db, clock)
    page = f"{_base(s['cycle'])}/datos"
    client.get(page)
    with count_queries() as small:
        client.get(page)
    _grow(s["cycle"], s["moderator"], 10)
    db.session.flush()
    with count_queries() as large:
        assert client.get(page).status_code == 200
    assert small.n == large.n


# --- the Atom feed -----------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_feed_is_atom_with_new_proposals_responses_and_commitments_newest_first(client, db, clock):
    s = _scene(db, clock)
    cycle = s["cycle"]
    clock.at(core_clock.now() + timedelta(hours=1))
    _answer(s)
    clock.at(core_clock.now() + timedelta(hours=1))
    latest = make_proposal(cycle, title="Datos abiertos & <presupuesto>")
    db.session.flush()
    response = client.get(f"{_base(cycle)}/novedades.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    assert root.find(f"{ATOM}link[@rel='self']").get("href").endswith("/novedades.atom")
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for tag in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{tag}") is not None and entry.find(f"{ATOM}{tag}").text, tag
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
        assert entry.find(f"{ATOM}author/{ATOM}name").text
    kinds = [entry.find(f"{ATOM}category").get("term") for entry in entries]
    assert sorted(kinds) == sorted(["proposal"] * 3 + ["response"] + ["commitment"] * 2)
    updated = [entry.find(f"{ATOM}updated").text for entry in entries]
    assert updated == sorted(updated, reverse=True)
    assert entries[0].find(f"{ATOM}title").text.endswith("Datos abiertos & <presupuesto>")
    assert latest.reference in entries[0].find(f"{ATOM}title").text
    assert entries[1].find(f"{ATOM}category").get("term") == "response"
    assert len({entry.find(f"{ATOM}id").text for entry in entries}) == len(entries)


def test_the_feed_is_bounded_and_announced_on_the_cycle_page(client, db, clock):
    s = _scene(db, clock)
    cycle = s["cycle"]
    assert len(feed.entries(cycle, limit=3)) == 3
    assert feed.FEED_ENTRIES == 50
    cycle_page = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in cycle_page
    assert f'href="{_base(cycle)}/novedades.atom"' in cycle_page
    assert client.get(f"/estadisticas/{cycle.jurisdiction.slug}/no-such-cycle/novedades.atom").status_code == 404
