"""Cycles and phases: windows at their boundaries (one window, and one per sector), audited state
changes, gates, the scheduler and its emails, duplication across DST, admin pages and bad input."""
import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from consulta.core.audit import StateChange, history
from consulta.core.errors import DomainError, WindowClosed
from consulta.core.outbox import OutboxEmail
from consulta.core.sectors import Sector
from consulta.core.windows import Window, window_from_dates, window_from_local
from consulta.cycles import services
from consulta.cycles.models import WINDOW_CLOSED, WINDOW_OPENED, Cycle, PhaseKind, PhaseState
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.services import follow
from tests.factories import (make_cycle, make_grant, make_intake_cycle, make_jurisdiction, make_national, make_phase,
                             make_proposals, make_user)
from tests.support.concurrency import REFUSED, committed_or_refused, run_together

SANTIAGO = "America/Santiago"
SECOND = timedelta(seconds=1)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def submit(client, path, data=None):
    """Open the page that holds the form (for its CSRF token), then post it."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def in_english(client):
    """Messages are checked in English: the Spanish catalogue is filled in separately."""
    with client.session_transaction() as session:
        session["lang"] = "en"


def make_admin(jurisdiction):
    return make_grant(role=Role.ADMIN, jurisdiction=jurisdiction).user


def mails(db) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


@pytest.fixture
def no_gates(monkeypatch):
    """Gates (and opening hooks) registered by this test only: other domains' stay out of the way."""
    monkeypatch.setattr(services, "_gates", {})
    monkeypatch.setattr(services, "_on_open", {}, raising=False)


# --- cycles --------------------------------------------------------------------------------------

def test_creating_a_cycle_records_who_created_it(db):
    admin_place = make_jurisdiction()
    admin = make_admin(admin_place)
    cycle = services.create_cycle(admin_place, name="4to Plan de Acción 2018-2020", slug="plan-2018-2020",
                                  code="pa4", starts_on=date(2018, 1, 1), ends_on=date(2020, 12, 31), actor=admin)
    assert cycle.code == "PA4"
    [created] = history(cycle, public_only=False)
    assert (created.from_state, created.to_state, created.actor_id) == (None, "CREATED", admin.id)


@pytest.mark.parametrize("fields, field", [
    ({"ends_on": date(2017, 12, 31)}, "ends_on"),
    ({"starts_on": date(1999, 12, 31)}, "starts_on"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 161}, "name"),
    ({"slug": "Plan 2018"}, "slug"),
    ({"slug": "admin"}, "slug"),
    ({"slug": "nuevo"}, "slug"),
    ({"slug": "p" * 81}, "slug"),
    ({"code": "PA-4"}, "code"),
    ({"code": "P" * 11}, "code"),
])
def test_a_cycle_with_bad_details_is_refused_naming_the_field(db, fields, field):
    values = {"name": "Plan", "slug": "plan", "code": "PA", "starts_on": date(2018, 1, 1),
              "ends_on": date(2020, 12, 31), "actor": None, **fields}
    with pytest.raises(DomainError) as refused:
        services.create_cycle(make_jurisdiction(), **values)
    assert refused.value.field == field


def test_address_and_prefix_are_unique_within_a_jurisdiction_only(db):
    cycle = make_cycle(slug="plan-local", code="PL1")
    with pytest.raises(DomainError) as refused:
        make_cycle(cycle.jurisdiction, slug="plan-local")
    assert refused.value.field == "slug"
    with pytest.raises(DomainError) as refused:
        make_cycle(cycle.jurisdiction, code="pl1")
    assert refused.value.field == "code"
    assert make_cycle(make_jurisdiction(), slug="plan-local", code="PL1").id != cycle.id


def test_an_address_taken_by_a_concurrent_request_is_a_refusal_not_a_crash(db, monkeypatch):
    cycle = make_cycle(slug="plan-local")
    # The other request's row arrives between the check and the insert.
    monkeypatch.setattr(services, "_check_slug", lambda jurisdiction, slug, current=None: slug)
    with pytest.raises(DomainError) as refused:
        make_cycle(cycle.jurisdiction, slug="plan-local")
    assert refused.value.field == "slug"
    other = make_cycle(cycle.jurisdiction, slug="plan-otro")
    with pytest.raises(DomainError):
        services.update_cycle(other, slug="plan-local", actor=None)
    assert other.slug == "plan-otro"  # the session is still usable, the cycle unchanged


def test_the_prefix_cannot_change_once_a_phase_has_opened(db, clock):
    phase = make_phase()
    services.update_cycle(phase.cycle, code="NEW", actor=None)
    clock.at(2018, 6, 20)
    services.open_phase(phase, actor=None)
    with pytest.raises(DomainError) as refused:
        services.update_cycle(phase.cycle, code="OTHER", actor=None)
    assert refused.value.field == "code"


def test_cycle_dates_cannot_leave_a_phase_outside(db):
    phase = make_phase()
    with pytest.raises(DomainError) as refused:
        services.update_cycle(phase.cycle, ends_on=date(2018, 7, 1), actor=None)
    assert refused.value.field == "ends_on"
    assert phase.cycle.ends_on == date(2020, 12, 31)


# --- phases: windows and their order -------------------------------------------------------------

def test_a_window_typed_as_dates_closes_at_the_next_local_midnight(db):
    phase = make_phase(first_day=date(2018, 6, 18), last_day=date(2018, 7, 13))
    # Santiago is UTC-4 in a southern winter.
    assert phase.opens_at == utc(2018, 6, 18, 4)
    assert phase.closes_at == utc(2018, 7, 14, 4)


def test_a_phase_falls_within_its_cycle(db):
    cycle = make_cycle(starts_on=date(2018, 1, 1), ends_on=date(2018, 12, 31))
    with pytest.raises(DomainError) as refused:
        make_phase(cycle, first_day=date(2018, 12, 1), last_day=date(2019, 1, 5))
    assert refused.value.field == "closes_on"
    with pytest.raises(DomainError) as refused:
        make_phase(cycle, first_day=date(2017, 12, 31), last_day=date(2018, 1, 5))
    assert refused.value.field == "opens_on"


def test_phases_open_in_their_order(db):
    cycle = make_cycle()
    make_phase(cycle, PhaseKind.INTAKE, first_day=date(2018, 6, 18), last_day=date(2018, 7, 13))
    # Overlapping is fine (tables may start while intake is still open)...
    make_phase(cycle, PhaseKind.TABLES, first_day=date(2018, 7, 1), last_day=date(2018, 8, 31))
    # ...opening before an earlier phase is not.
    with pytest.raises(DomainError) as refused:
        make_phase(cycle, PhaseKind.CONSULTATION, first_day=date(2018, 6, 1), last_day=date(2018, 9, 30))
    assert refused.value.field == "opens_on"
    with pytest.raises(DomainError):
        make_phase(cycle, PhaseKind.INTAKE, first_day=date(2018, 7, 2), last_day=date(2018, 7, 13))


def test_only_intake_has_windows_per_sector(db):
    window = window_from_dates(date(2018, 9, 1), date(2018, 9, 30), SANTIAGO)
    with pytest.raises(DomainError):
        make_phase(kind=PhaseKind.CONSULTATION, sector_windows={Sector.OSC: window})


def test_changing_a_window_is_recorded_with_its_reason(db):
    phase = make_phase()
    services.set_phase(phase.cycle, PhaseKind.INTAKE, actor=None, reason="Extended at the Mesa's request",
                       window=window_from_dates(date(2018, 6, 18), date(2018, 7, 20), SANTIAGO))
    rows = history(phase)
    assert [row.to_state for row in rows] == ["SCHEDULED", "RESCHEDULED"]
    assert rows[-1].reason == "Extended at the Mesa's request"
    assert phase.closes_at == utc(2018, 7, 21, 4)


# --- accepting: the one "is it taking submissions?" ----------------------------------------------

@pytest.mark.parametrize("offset, edge, expected", [
    (-SECOND, "opens", False), (timedelta(0), "opens", True),
    (-SECOND, "closes", True), (timedelta(0), "closes", False), (SECOND, "closes", False),
])
def test_accepting_at_the_window_boundaries(db, clock, offset, edge, expected):
    phase = make_phase()
    clock.at(2018, 6, 18, 4)
    services.open_phase(phase, actor=None)
    at = (phase.opens_at if edge == "opens" else phase.closes_at) + offset
    assert services.accepting(phase, at) is expected


def test_a_scheduled_or_closed_phase_accepts_nothing_even_inside_its_window(db, clock):
    phase = make_phase()
    inside = utc(2018, 7, 1, 12)
    assert not services.accepting(phase, inside)
    clock.at(inside)
    services.open_phase(phase, actor=None)
    assert services.accepting(phase, inside)
    services.close_phase(phase, actor=None, reason="Closed early")
    assert not services.accepting(phase, inside)
    with pytest.raises(DomainError):
        services.require_accepting(phase, inside)


def third_plan_intake():
    """The 3rd plan's intake: public agencies 2 May–15 June 2016, OSC 21 April–25 May 2016."""
    cycle = make_cycle(starts_on=date(2016, 1, 1), ends_on=date(2018, 6, 30))
    return make_phase(cycle, window=None, sector_windows={
        Sector.SERVICIO_PUBLICO: window_from_dates(date(2016, 5, 2), date(2016, 6, 15), SANTIAGO),
        Sector.OSC: window_from_dates(date(2016, 4, 21), date(2016, 5, 25), SANTIAGO),
    })


# Santiago left summer time (UTC-3) for UTC-4 on 15 May 2016: the boundaries straddle the change.
@pytest.mark.parametrize("sector, instant, expected", [
    (Sector.OSC, utc(2016, 4, 21, 3) - SECOND, False),
    (Sector.OSC, utc(2016, 4, 21, 3), True),
    (Sector.OSC, utc(2016, 5, 26, 4) - SECOND, True),
    (Sector.OSC, utc(2016, 5, 26, 4), False),
    (Sector.SERVICIO_PUBLICO, utc(2016, 5, 2, 3) - SECOND, False),
    (Sector.SERVICIO_PUBLICO, utc(2016, 5, 2, 3), True),
    (Sector.SERVICIO_PUBLICO, utc(2016, 6, 16, 4) - SECOND, True),
    (Sector.SERVICIO_PUBLICO, utc(2016, 6, 16, 4), False),
    (Sector.SERVICIO_PUBLICO, utc(2016, 6, 16, 4) + SECOND, False),
    (Sector.CIUDADANIA, utc(2016, 5, 10), False),
    (Sector.ACADEMIA, utc(2016, 5, 10), False),
])
def test_per_sector_windows_at_their_boundaries(db, clock, sector, instant, expected):
    phase = third_plan_intake()
    clock.at(2016, 4, 21, 3)
    services.open_phase(phase, actor=None)
    assert services.accepting(phase, instant, sector) is expected


def test_the_intake_window_spans_every_sector(db):
    phase = third_plan_intake()
    assert phase.window == services.window_for(phase)
    assert (phase.opens_at, phase.closes_at) == (utc(2016, 4, 21, 3), utc(2016, 6, 16, 4))
    assert services.window_for(phase, Sector.CIUDADANIA) is None


def test_a_sector_window_outside_the_phase_is_refused(db):
    cycle = make_cycle(starts_on=date(2016, 1, 1), ends_on=date(2018, 6, 30))
    with pytest.raises(DomainError) as refused:
        make_phase(cycle, first_day=date(2016, 5, 1), last_day=date(2016, 5, 31), sector_windows={
            Sector.OSC: window_from_dates(date(2016, 4, 21), date(2016, 5, 25), SANTIAGO)})
    assert refused.value.field == "osc-opens_on"


def test_a_late_action_is_told_the_local_closing_time(db, clock):
    phase = make_phase()
    clock.at(2018, 6, 18, 4)
    services.open_phase(phase, actor=None)
    with force_locale("es"), pytest.raises(WindowClosed) as late:
        services.require_accepting(phase, phase.closes_at, field="body")
    assert late.value.field == "body"
    assert "sábado 14 de julio de 2018, 00:00:00" in late.value.message
    assert "Chile" in late.value.message
    with force_locale("en"), pytest.raises(WindowClosed) as early:
        services.require_accepting(phase, phase.opens_at - SECOND)
    assert "Monday, June 18, 2018, 00:00:00" in early.value.message


def test_a_late_sector_is_told_its_own_closing_time(db, clock):
    phase = third_plan_intake()
    clock.at(2016, 4, 21, 3)
    services.open_phase(phase, actor=None)
    services.require_accepting(phase, utc(2016, 6, 1), Sector.SERVICIO_PUBLICO)
    with force_locale("es"), pytest.raises(WindowClosed) as late:
        services.require_accepting(phase, utc(2016, 6, 1), Sector.OSC)
    assert "26 de mayo de 2016, 00:00:00" in late.value.message
    with pytest.raises(DomainError):
        services.require_accepting(phase, utc(2016, 6, 1), Sector.CIUDADANIA)


# --- state changes: audited, gated ---------------------------------------------------------------

def test_phase_state_changes_are_audited(db, clock):
    place = make_jurisdiction()
    admin = make_admin(place)
    phase = make_phase(make_cycle(place), actor=admin)
    clock.at(2018, 6, 20, 15)
    services.open_phase(phase, actor=admin, reason="Opened at the launch event")
    clock.at(2018, 7, 2, 12)
    services.close_phase(phase, actor=admin, reason="Paused while the form is fixed")
    rows = history(phase)
    assert [(row.from_state, row.to_state) for row in rows] == [
        (None, "SCHEDULED"), ("SCHEDULED", "OPEN"), ("OPEN", "CLOSED")]
    assert {row.actor_id for row in rows} == {admin.id}
    assert [row.at for row in rows[1:]] == [utc(2018, 6, 20, 15), utc(2018, 7, 2, 12)]
    assert [row.reason for row in rows[1:]] == ["Opened at the launch event", "Paused while the form is fixed"]
    assert phase.state == PhaseState.CLOSED


def test_opening_and_closing_refuse_what_makes_no_sense(db, clock):
    phase = make_phase()
    with pytest.raises(DomainError):
        services.close_phase(phase, actor=None)
    clock.at(phase.opens_at - SECOND)
    with pytest.raises(DomainError):
        services.open_phase(phase, actor=None)  # its window has not started
    clock.at(phase.closes_at)
    with pytest.raises(DomainError):
        services.open_phase(phase, actor=None)  # its window is over
    assert phase.state == PhaseState.SCHEDULED


def test_gates_keep_a_phase_shut(db, clock, no_gates):
    phase = make_phase(kind=PhaseKind.CONSULTATION, first_day=date(2018, 9, 1), last_day=date(2018, 9, 30))
    missing = {"commitments": True}
    services.register_gate(PhaseKind.CONSULTATION,
                           lambda phase: "The draft plan has no commitments yet." if missing["commitments"] else None)
    services.register_gate(PhaseKind.INTAKE, lambda phase: "never asked of a consultation")
    clock.at(2018, 9, 5)
    with pytest.raises(DomainError) as refused:
        services.open_phase(phase, actor=None)
    assert "no commitments" in refused.value.message
    summary = services.advance_phases(utc(2018, 9, 5))
    assert phase.state == PhaseState.SCHEDULED
    assert any("held shut" in line for line in summary)
    missing["commitments"] = False
    services.advance_phases(utc(2018, 9, 5))
    assert phase.state == PhaseState.OPEN


def test_advance_opens_and_closes_and_emails_followers_once(db, clock, no_gates):
    place = make_jurisdiction(name="Renca", slug="renca")
    phase = make_phase(make_cycle(place, name="Plan local de Renca", slug="plan-local"))
    fan, late_reader = make_user(locale="es"), make_user(locale="en")
    follow(fan, place)
    follow(late_reader, place)
    follow(make_user(), make_jurisdiction())  # follows somewhere else
    follow(make_user(verified=False), place)  # no verified address: nothing to send to

    clock.at(phase.opens_at - SECOND)
    assert services.advance_phases(clock.at(phase.opens_at - SECOND)) == []
    assert phase.state == PhaseState.SCHEDULED
    for _run in range(2):
        services.advance_phases(clock.at(phase.opens_at + timedelta(seconds=30)))
    assert phase.state == PhaseState.OPEN
    sent = mails(db)
    assert sorted(mail.recipient for mail in sent) == sorted([fan.email, late_reader.email])
    spanish = next(mail for mail in sent if mail.recipient == fan.email)
    assert "18 jun 2018, 00:00" in spanish.body_text and "14 jul 2018, 00:00" in spanish.body_text
    assert "http://localhost/j/renca" in spanish.body_text and "/plan-local" in spanish.body_text
    english = next(mail for mail in sent if mail.recipient == late_reader.email)
    assert "Proposal intake" in english.subject

    services.advance_phases(clock.at(phase.closes_at - SECOND))
    assert phase.state == PhaseState.OPEN
    assert services.advance_phases(clock.at(phase.closes_at)) == [f"closed: {place.slug}/plan-local intake"]
    assert phase.state == PhaseState.CLOSED
    assert len(mails(db)) == 2
    automatic = history(phase)[1:]
    assert [(row.to_state, row.reason, row.actor_id) for row in automatic] == [
        ("OPEN", WINDOW_OPENED, None), ("CLOSED", WINDOW_CLOSED, None)]


def test_a_window_that_went_by_unseen_is_recorded_but_not_announced(db, clock, no_gates):
    phase = make_phase()
    follow(make_user(), phase.cycle.jurisdiction)
    services.advance_phases(clock.at(2018, 8, 1))
    assert phase.state == PhaseState.CLOSED
    assert [row.to_state for row in history(phase)] == ["SCHEDULED", "OPEN", "CLOSED"]
    assert mails(db) == []


@pytest.mark.concurrency
def test_two_schedulers_at_once_open_a_phase_and_email_its_followers_once(app, committed_db, monkeypatch):
    place = make_jurisdiction()
    phase = make_phase(make_cycle(place))
    follow(make_user(), place)
    committed_db.session.commit()
    phase_id = phase.id
    committed_db.session.commit()  # end the read, so that the runs below start from the committed rows

    both_read = threading.Barrier(2, timeout=3)

    def wait_for_the_other_run(phase):
        # Both runs have read the phase as scheduled before either changes it. (On PostgreSQL the
        # second run skips the row the first one locked, so it never gets here: the wait times out.)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(services, "_gates", {PhaseKind.INTAKE: [wait_for_the_other_run]})
    monkeypatch.setattr(services, "_on_open", {}, raising=False)
    outcomes, errors = run_together(2, lambda _: committed_or_refused(
        app, committed_db, lambda: services.advance_phases(utc(2018, 6, 18, 5))))
    assert errors == []
    assert any(outcome != REFUSED for outcome in outcomes)
    opened = committed_db.session.scalar(select(func.count(StateChange.id)).where(
        StateChange.object_type == "phase", StateChange.object_id == phase_id, StateChange.to_state == "OPEN"))
    assert opened == 1
    assert committed_db.session.scalar(select(func.count(OutboxEmail.id))) == 1


def test_the_command_advances_the_phases(app, db, clock, no_gates):
    phase = make_phase()
    clock.at(2018, 6, 18, 4)
    result = app.test_cli_runner().invoke(args=["cycles", "advance"])
    assert result.exit_code == 0, result.output
    assert "opened:" in result.output
    assert phase.state == PhaseState.OPEN


# --- duplication ---------------------------------------------------------------------------------

def test_duplicate_moves_the_phases_and_keeps_local_times_across_dst(db):
    cycle = make_cycle(starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31), name="Plan 2024")
    # Typed in winter (UTC-4): 10 June 09:00 to 14 June 18:00, local.
    make_phase(cycle, PhaseKind.INTAKE, window=window_from_local(datetime(2024, 6, 10, 9), datetime(2024, 6, 14, 18),
                                                                 SANTIAGO))
    # Typed as dates ending on 7 September, the eve of the 2024 change: its midnight does not exist.
    make_phase(cycle, PhaseKind.TABLES, first_day=date(2024, 8, 26), last_day=date(2024, 9, 7))
    original = {phase.kind: phase.window for phase in cycle.phases}
    assert original[PhaseKind.TABLES].closes_at == utc(2024, 9, 8, 4)  # 01:00 after the jump

    copy = services.duplicate_cycle(cycle, name="Plan 2024 (segunda vuelta)", slug="plan-2024-b", code="PB",
                                    starts_on=date(2024, 4, 2), actor=None)  # 92 days later, into summer time
    assert copy.duplicated_from_id == cycle.id
    assert copy.ends_on == date(2025, 4, 2)
    intake, tables = copy.phase(PhaseKind.INTAKE), copy.phase(PhaseKind.TABLES)
    # 10 Sept 09:00 and 14 Sept 18:00 local, now UTC-3.
    assert (intake.opens_at, intake.closes_at) == (utc(2024, 9, 10, 12), utc(2024, 9, 14, 21))
    # 26 Nov to the end of 8 Dec: the next local midnight, not 01:00.
    assert (tables.opens_at, tables.closes_at) == (utc(2024, 11, 26, 3), utc(2024, 12, 9, 3))
    assert {phase.state for phase in copy.phases} == {PhaseState.SCHEDULED}
    assert {phase.kind: phase.window for phase in cycle.phases} == original


def test_duplicate_moves_sector_windows_too(db):
    phase = third_plan_intake()
    copy = services.duplicate_cycle(phase.cycle, name="Copia", slug="copia", code="CP",
                                    starts_on=date(2018, 1, 1), actor=None)  # 731 days later
    moved = copy.phase(PhaseKind.INTAKE)
    # 731 days from 21 April 2016 is 22 April 2018 (2016 was a leap year).
    assert services.window_for(moved, Sector.OSC) == window_from_dates(date(2018, 4, 22), date(2018, 5, 26),
                                                                        SANTIAGO)
    assert services.window_for(moved, Sector.CIUDADANIA) is None


def test_a_refused_duplicate_leaves_nothing_behind(db):
    phase = make_phase()
    with pytest.raises(DomainError):
        services.duplicate_cycle(phase.cycle, name="Copia", slug="copia", code="CP", starts_on=date(2098, 1, 1),
                                 actor=None)
    assert db.session.scalars(select(Cycle).where(Cycle.slug == "copia")).all() == []


# --- pages ---------------------------------------------------------------------------------------

def test_the_cycle_page_shows_the_timeline_in_local_time(client, db, clock):
    phase = third_plan_intake()
    cycle = phase.cycle
    make_phase(cycle, PhaseKind.TABLES, first_day=date(2016, 7, 1), last_day=date(2016, 8, 31))
    clock.at(2016, 4, 22)
    services.open_phase(phase, actor=None, reason="Lanzamiento")
    page = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert body.count("<h1") == 1 and cycle.name in body
    assert "21 abr 2016, 00:00" in body and "16 jun 2016, 00:00" in body
    assert "hora" in body and "Chile" in body  # the zone is shown with every time
    assert "badge-open" in body and "badge-scheduled" in body
    assert "Lanzamiento" in body
    assert "admin/ciclos" not in body
    assert client.get(f"/j/{cycle.jurisdiction.slug}/no-such-cycle").status_code == 404


def test_the_cycle_page_links_its_administration_for_administrators(client, db, login_as):
    cycle = make_cycle()
    login_as(make_admin(cycle.jurisdiction))
    body = client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}").get_data(as_text=True)
    assert f"/j/{cycle.jurisdiction.slug}/admin/ciclos/{cycle.slug}" in body


def test_the_home_page_lists_the_phases_open_now(client, db, clock):
    phase = make_phase(make_cycle(name="Plan local abierto"))
    closed = make_phase(make_cycle(name="Plan ya cerrado"), first_day=date(2018, 1, 1), last_day=date(2018, 1, 31))
    clock.at(2018, 1, 10)
    services.open_phase(closed, actor=None)
    clock.at(2018, 6, 20)
    services.open_phase(phase, actor=None)
    assert phase in services.open_now() and closed not in services.open_now()
    body = client.get("/").get_data(as_text=True)
    assert "Plan local abierto" in body and "Plan ya cerrado" not in body


def admin_pages(cycle):
    base = f"/j/{cycle.jurisdiction.slug}/admin/ciclos"
    return [base, f"{base}/nuevo", f"{base}/{cycle.slug}", f"{base}/{cycle.slug}/fases/recepcion",
            f"{base}/{cycle.slug}/fases/recepcion/abrir", f"{base}/{cycle.slug}/duplicar"]


@pytest.mark.parametrize("who, status", [("visitor", 302), ("participant", 403), ("moderator here", 403),
                                         ("admin elsewhere", 403), ("admin here", 200), ("national admin", 200)])
def test_only_administrators_of_the_jurisdiction_or_national_ones_reach_the_admin_pages(
        client, db, login_as, who, status):
    phase = make_phase()
    here = phase.cycle.jurisdiction
    people = {
        "participant": make_user,
        "moderator here": lambda: make_grant(role=Role.MODERATOR, jurisdiction=here).user,
        "admin elsewhere": lambda: make_admin(make_jurisdiction()),
        "admin here": lambda: make_admin(here),
        "national admin": lambda: make_admin(make_national()),
    }
    if who != "visitor":
        login_as(people[who]())
    for path in admin_pages(phase.cycle):
        assert client.get(path).status_code == status, path


def test_an_administrator_of_another_municipality_cannot_post_either(client, db, login_as, clock):
    phase = make_phase()
    elsewhere = make_jurisdiction()
    login_as(make_admin(elsewhere))
    clock.at(2018, 6, 20)
    # A good token, taken from a form the person may use.
    token = CSRF.search(client.get(f"/j/{elsewhere.slug}/admin/ciclos/nuevo").get_data(as_text=True)).group(1)
    path = f"/j/{phase.cycle.jurisdiction.slug}/admin/ciclos/{phase.cycle.slug}/fases/recepcion/abrir"
    assert client.post(path, data={"reason": "Abrir", "csrf_token": token}).status_code == 403
    assert phase.state == PhaseState.SCHEDULED


def test_an_administrator_creates_a_cycle_and_sets_a_phase_by_dates(client, db, login_as):
    place = make_jurisdiction()
    login_as(make_admin(place))
    created = submit(client, f"/j/{place.slug}/admin/ciclos/nuevo", {
        "name": "Plan local 2018", "slug": "plan-local-2018", "code": "pl18",
        "starts_on": "2018-01-01", "ends_on": "2019-12-31"})
    assert created.status_code == 302
    cycle = db.session.scalar(select(Cycle).where(Cycle.slug == "plan-local-2018"))
    assert cycle.code == "PL18"
    saved = submit(client, f"/j/{place.slug}/admin/ciclos/plan-local-2018/fases/recepcion",
                   {"opens_on": "2018-06-18", "closes_on": "2018-07-13"})
    assert saved.status_code == 302
    phase = cycle.phase(PhaseKind.INTAKE)
    assert (phase.opens_at, phase.closes_at) == (utc(2018, 6, 18, 4), utc(2018, 7, 14, 4))
    form = client.get(f"/j/{place.slug}/admin/ciclos/plan-local-2018/fases/recepcion").get_data(as_text=True)
    assert 'value="2018-07-13"' in form  # shown again as it was typed


def test_an_administrator_types_local_times_and_windows_per_sector(client, db, login_as):
    cycle = make_cycle(starts_on=date(2016, 1, 1), ends_on=date(2018, 6, 30))
    login_as(make_admin(cycle.jurisdiction))
    path = f"/j/{cycle.jurisdiction.slug}/admin/ciclos/{cycle.slug}/fases/recepcion"
    saved = submit(client, path, {
        "servicio_publico-opens_on": "2016-05-02", "servicio_publico-closes_on": "2016-06-15",
        "osc-opens_on": "2016-04-21", "osc-opens_time": "09:00",
        "osc-closes_on": "2016-05-25", "osc-closes_time": "17:30"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    phase = cycle.phase(PhaseKind.INTAKE)
    assert services.window_for(phase, Sector.OSC) == Window(utc(2016, 4, 21, 12), utc(2016, 5, 25, 21, 30))
    assert services.window_for(phase, Sector.SERVICIO_PUBLICO).closes_at == utc(2016, 6, 16, 4)
    assert (phase.opens_at, phase.closes_at) == (utc(2016, 4, 21, 12), utc(2016, 6, 16, 4))
    form = client.get(path).get_data(as_text=True)
    assert 'value="17:30"' in form


def test_an_administrator_opens_and_closes_a_phase_with_a_reason(client, db, login_as, clock, no_gates):
    phase = make_phase()
    admin = make_admin(phase.cycle.jurisdiction)
    login_as(admin)
    clock.at(2018, 6, 25)
    base = f"/j/{phase.cycle.jurisdiction.slug}/admin/ciclos/{phase.cycle.slug}/fases/recepcion"
    assert submit(client, f"{base}/abrir", {"reason": ""}).status_code == 200  # a reason is required
    assert phase.state == PhaseState.SCHEDULED
    assert submit(client, f"{base}/abrir", {"reason": "Lanzamiento"}).status_code == 302
    assert submit(client, f"{base}/cerrar", {"reason": "Pausa"}).status_code == 302
    assert [(row.to_state, row.reason, row.actor_id) for row in history(phase)[1:]] == [
        ("OPEN", "Lanzamiento", admin.id), ("CLOSED", "Pausa", admin.id)]


def test_a_gate_refusal_is_shown_on_the_page(client, db, login_as, clock, no_gates):
    phase = make_phase()
    services.register_gate(PhaseKind.INTAKE, lambda phase: "The intake form is not ready.")
    login_as(make_admin(phase.cycle.jurisdiction))
    clock.at(2018, 6, 25)
    path = f"/j/{phase.cycle.jurisdiction.slug}/admin/ciclos/{phase.cycle.slug}/fases/recepcion/abrir"
    page = submit(client, path, {"reason": "Lanzamiento"})
    assert page.status_code == 200
    assert "The intake form is not ready." in page.get_data(as_text=True)
    assert phase.state == PhaseState.SCHEDULED


def test_an_administrator_duplicates_a_cycle(client, db, login_as):
    phase = make_phase()
    login_as(make_admin(phase.cycle.jurisdiction))
    slug = phase.cycle.jurisdiction.slug
    done = submit(client, f"/j/{slug}/admin/ciclos/{phase.cycle.slug}/duplicar",
                  {"name": "Plan siguiente", "slug": "plan-siguiente", "code": "PS", "starts_on": "2020-01-01"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/j/{slug}/admin/ciclos/plan-siguiente")
    copy = db.session.scalar(select(Cycle).where(Cycle.slug == "plan-siguiente"))
    assert copy.phase(PhaseKind.INTAKE).opens_at == utc(2020, 6, 17, 4)  # 730 days later, in a leap year


@pytest.mark.parametrize("form, message", [
    ({"ends_on": "2017-12-31"}, "cannot end before it starts"),
    ({"starts_on": "2018-13-45"}, "Not a valid date"),
    ({"starts_on": "9999-12-31"}, "Enter a date between"),
    ({"name": "x" * 161}, "160"),
    ({"slug": "Plan Local"}, "lower-case"),
    ({"code": "PA" * 10}, "10"),
    ({"name": ""}, "required"),
])
def test_bad_cycle_input_gets_a_message_and_keeps_the_text(client, db, login_as, form, message):
    place = make_jurisdiction()
    login_as(make_admin(place))
    in_english(client)
    data = {"name": "Plan local", "slug": "plan-local", "code": "PL", "starts_on": "2018-01-01",
            "ends_on": "2019-12-31", **form}
    page = submit(client, f"/j/{place.slug}/admin/ciclos/nuevo", data)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert message in body
    assert "error-summary" in body
    assert db.session.scalars(select(Cycle).where(Cycle.jurisdiction_id == place.id)).all() == []


@pytest.mark.parametrize("form, message", [
    ({"opens_on": "2018-07-13", "closes_on": "2018-06-18"}, "must close after it opens"),
    ({"opens_on": "2018-07-13", "opens_time": "18:00", "closes_on": "2018-07-13", "closes_time": "09:00"},
     "must close after it opens"),
    ({"opens_on": "18/06/2018", "closes_on": "2018-07-13"}, "Not a valid date"),
    ({"opens_on": "2018-06-18", "closes_on": "2018-07-13", "opens_time": "25:99"}, "Not a valid time"),
    ({"opens_on": "2018-06-18", "closes_on": ""}, "Enter a date"),
    ({"opens_on": "0001-01-01", "closes_on": "9999-12-31"}, "Enter a date between"),
    ({"opens_on": "2017-06-18", "closes_on": "2018-07-13"}, "falls within its cycle"),
    ({"opens_on": "2018-06-18", "closes_on": "2018-07-13", "reason": "x" * 501}, "500"),
    ({"osc-opens_on": "2018-06-18"}, "Enter a date"),
])
def test_bad_window_input_gets_a_message_never_a_500(client, db, login_as, form, message):
    phase = make_phase()
    login_as(make_admin(phase.cycle.jurisdiction))
    in_english(client)
    page = submit(client, f"/j/{phase.cycle.jurisdiction.slug}/admin/ciclos/{phase.cycle.slug}/fases/recepcion",
                  form)
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert (phase.opens_at, phase.closes_at) == (utc(2018, 6, 18, 4), utc(2018, 7, 14, 4))


def test_every_phase_page_and_unknown_ones(client, db, login_as):
    cycle = make_cycle()
    login_as(make_admin(cycle.jurisdiction))
    base = f"/j/{cycle.jurisdiction.slug}/admin/ciclos/{cycle.slug}/fases"
    for kind in PhaseKind:
        assert client.get(f"{base}/{kind.slug}").status_code == 200
    assert client.get(f"{base}/no-such-phase").status_code == 404
    assert client.get(f"{base}/recepcion/abrir").status_code == 404  # not scheduled yet


def test_window_helpers_agree_with_time_typed_windows(db):
    phase = make_phase(window=window_from_local(datetime.combine(date(2018, 6, 18), time(9)),
                                                datetime.combine(date(2018, 7, 13), time(17, 30)), SANTIAGO))
    assert services.typed_local(phase.opens_at, SANTIAGO) == datetime(2018, 6, 18, 9)
    assert services.typed_local(phase.closes_at, SANTIAGO) == datetime(2018, 7, 13, 17, 30)



def test_every_cycle_address_with_an_unknown_or_impossible_slug_is_404(app, client, db):
    # Every domain loads the cycle through cycles.services.cycle_or_404, before any permission check;
    # a NUL must not reach PostgreSQL.
    cycle = make_cycle(slug="plan-local")
    rules = [rule.rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/j/<slug>/<cycle_slug>") and set(rule.arguments) == {"slug", "cycle_slug"}
             and "GET" in rule.methods]
    assert len(rules) > 20
    for slugs in ("no-such-place/plan-local", f"{cycle.jurisdiction.slug}/no-such-plan", "%00/plan-local",
                  f"{cycle.jurisdiction.slug}/%00"):
        for rule in rules:
            path = rule.replace("<slug>/<cycle_slug>", slugs)
            assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("page", ["home", "cycle"])
def test_the_home_and_cycle_pages_run_the_same_statements_at_ten_and_a_thousand_proposals(
        client, db, count_queries, page):
    cycle = make_intake_cycle()
    address = "/" if page == "home" else f"/j/{cycle.jurisdiction.slug}/{cycle.slug}"

    def statements() -> int:
        db.session.flush()
        db.session.expire_all()
        with count_queries() as counted:
            assert client.get(address).status_code == 200
        return counted.n

    make_proposals(cycle, 10)
    few = statements()
    make_proposals(cycle, 990)
    assert statements() == few <= 10
