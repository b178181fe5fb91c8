"""Evolución del proceso: the comparison page reads each domain's own counts, links every figure to
exactly the records it counts, and runs a fixed number of statements."""
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from consulta.commitments import services as commitments
from consulta.consultation.services import commitment_target
from consulta.core.sectors import Sector
from consulta.core.windows import window_from_dates
from consulta.cycles.models import PhaseKind
from consulta.demo import loader
from consulta.proposals import services as proposals
from consulta.proposals.models import Channel, ProposalState, WithdrawalReason
from consulta.stats import services
from consulta.tables import services as tables
from consulta.triage import services as triage
from tests.conftest import rolled_back
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


# --- the demo reproduces the seed's table ----------------------------------------------------------

@pytest.fixture(scope="module")
def demo_page(app):
    """The comparison page's figures with the demo loaded, read once and rolled back at once (a
    transaction kept open would lock SQLite for the other tests of this module)."""
    with rolled_back(app):
        loader.load()
        return figures(app.test_client(), "chile")


@pytest.mark.parametrize("code, proposals_, held, attendees, comments", [
    ("PA3", 58, 7, 190, 9),
    ("PA4", 158, 8, 410, 73),
])
def test_the_demo_reads_the_seeds_figures_from_the_page(demo_page, code, proposals_, held, attendees, comments):
    assert demo_page[code, "proposals"][0] == proposals_
    assert demo_page[code, "tables"][0] == held
    assert demo_page[code, "attendees"][0] == attendees
    assert demo_page[code, "comments"][0] == comments


def test_the_demo_names_the_seeds_channels(demo_page):
    # 3rd plan: the organisations' form and the agencies' submissions to the Comisión; 4th: one form.
    assert {name for code, name in demo_page if code == "PA3" and name.startswith("channel-")} == {
        "channel-FORM", "channel-AGENCY_SUBMISSION"}
    assert {name for code, name in demo_page if code == "PA4" and name.startswith("channel-")} == {"channel-FORM"}


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
