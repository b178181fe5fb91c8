"""Working tables: seats the database guarantees, the waiting list, check-in, minutes, exports,
reminders, and what a visitor may see."""
import io
import os
import re
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import scoped_session, sessionmaker

from consulta.accounts.models import User

from consulta.core.audit import history
from consulta.core.errors import DomainError, PermissionDenied, WindowClosed
from consulta.core.outbox import OutboxEmail
from consulta.core.sectors import Sector
from consulta.core.windows import Window
from consulta.extensions import db as _db
from consulta.jurisdictions.regions import Region
from consulta.tables import exports, services
from consulta.tables.models import CheckIn, Registration, RegistrationState, TableProposal, TableState, WorkingTable
from tests.factories import (make_cycle, make_intake_cycle, make_jurisdiction, make_moderator, make_organisation,
                             make_proposal, make_registration, make_table, make_user)
from tests.support.concurrency import run_together

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql"))
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only; runs in the second CI pass")


def post(client, path, data=None, *, form_page=None):
    """POST with the CSRF token of the page that holds the form (the path itself by default)."""
    token = CSRF.search(client.get(form_page or path).get_data(as_text=True)).group(1)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def confirmed_recount(table) -> int:
    return _db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.table_id == table.id, Registration.state == RegistrationState.CONFIRMED))


def assert_counter_matches(table):
    _db.session.refresh(table)
    assert table.seats_taken == confirmed_recount(table)


def states(table) -> dict:
    rows = _db.session.execute(select(Registration.state, func.count()).where(Registration.table_id == table.id)
                               .group_by(Registration.state)).all()
    return {state.name: count for state, count in rows}


def waiting_positions(table) -> list[int]:
    rows = _db.session.scalars(select(Registration).where(
        Registration.table_id == table.id, Registration.state == RegistrationState.WAITING))
    return sorted(services.waiting_position(row) for row in rows)


def outbox_to(address) -> list[OutboxEmail]:
    return list(_db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == address)))


# Refusals are read in English here, whatever the Spanish catalogue says of them; pages too, through
# the client below, except the one test that reads the Spanish default.
pytestmark = pytest.mark.usefixtures("english_messages")


@pytest.fixture
def client(client):
    client.get("/lang/en")
    return client


@pytest.fixture
def jurisdiction(db):
    return make_jurisdiction()


@pytest.fixture
def moderator(jurisdiction):
    return make_moderator(jurisdiction)


@pytest.fixture
def cycle(jurisdiction):
    return make_cycle(jurisdiction)


@pytest.fixture
def table(cycle, moderator):
    return make_table(cycle, actor=moderator, capacity=3)


# --- seats and the waiting list ------------------------------------------------------------------

def test_seats_are_confirmed_until_full_then_people_wait_in_order(table):
    registrations = [make_registration(table) for _ in range(5)]

    assert [r.state for r in registrations] == [RegistrationState.CONFIRMED] * 3 + [RegistrationState.WAITING] * 2
    assert [services.waiting_position(r) for r in registrations[3:]] == [1, 2]
    assert table.seats_taken == 3 and table.seats_left == 0
    assert_counter_matches(table)


def test_the_maintained_counter_equals_a_recount_through_every_change(table, moderator):
    people = [make_registration(table) for _ in range(6)]
    assert_counter_matches(table)
    services.cancel(people[0], actor=people[0].user)
    assert_counter_matches(table)
    services.set_capacity(table, capacity=1, actor=moderator)
    assert_counter_matches(table)
    services.cancel(people[4], actor=moderator)
    assert_counter_matches(table)
    services.set_capacity(table, capacity=6, actor=moderator)
    assert_counter_matches(table)
    assert states(table) == {"CONFIRMED": 4, "CANCELLED": 2}


def test_registering_twice_is_refused_and_counted_once(table):
    person = make_user()
    make_registration(table, person)
    with pytest.raises(DomainError, match="already registered"):
        services.register(table, user=person)
    assert states(table) == {"CONFIRMED": 1}
    assert_counter_matches(table)


def test_a_double_lost_to_a_concurrent_request_gives_the_seat_back(table, monkeypatch):
    """The unique index is the guarantee: with the friendly check out of the way (as when two
    requests pass it at once), the second insert fails and its seat is returned."""
    person = make_user()
    make_registration(table, person)
    monkeypatch.setattr(services, "live_registration", lambda table, user: None)
    with pytest.raises(IntegrityError):
        services.register(table, user=person)
    monkeypatch.undo()
    _db.session.refresh(table)
    assert table.seats_taken == 1 and states(table) == {"CONFIRMED": 1}


def test_the_database_refuses_a_second_live_registration(table):
    person = make_user()
    first = make_registration(table, person)
    with pytest.raises(IntegrityError), _db.session.begin_nested():
        _db.session.add(Registration(table_id=table.id, user_id=person.id, sector=Sector.CIUDADANIA,
                                     code="ZZZZZZ", state=RegistrationState.CONFIRMED))
        _db.session.flush()
    services.cancel(first, actor=person)
    # Once cancelled, the person may register again: the index covers live registrations only.
    assert make_registration(table, person).state == RegistrationState.CONFIRMED


def test_cancelling_promotes_the_first_person_waiting_who_is_emailed(table):
    confirmed = [make_registration(table) for _ in range(3)]
    first, second = make_registration(table), make_registration(table)

    promoted = services.cancel(confirmed[1], actor=confirmed[1].user, reason="No puedo ir")

    assert promoted == [first] and first.state == RegistrationState.CONFIRMED
    assert services.waiting_position(second) == 1
    [email] = outbox_to(first.user.email)
    assert table.title in email.subject and first.code in email.body_text
    assert outbox_to(second.user.email) == []
    assert [row.to_state for row in history(first, public_only=False)] == ["WAITING", "CONFIRMED"]
    assert_counter_matches(table)


def test_cancelling_a_place_on_the_waiting_list_frees_no_seat(table):
    for _ in range(3):
        make_registration(table)
    first, second = make_registration(table), make_registration(table)
    assert services.cancel(first, actor=first.user) == []
    assert services.waiting_position(second) == 1
    assert table.seats_taken == 3
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel(first, actor=first.user)


def test_cancelling_someone_elses_registration_is_refused(table, moderator):
    mine = make_registration(table)
    with pytest.raises(PermissionDenied):
        services.cancel(mine, actor=make_user())
    # A moderator of another jurisdiction is nobody here.
    with pytest.raises(PermissionDenied):
        services.cancel(mine, actor=make_moderator(make_jurisdiction()))
    assert mine.state == RegistrationState.CONFIRMED
    services.cancel(mine, actor=moderator)
    assert mine.state == RegistrationState.CANCELLED


def test_lowering_capacity_keeps_everyone_confirmed(table, moderator):
    people = [make_registration(table) for _ in range(3)]
    services.set_capacity(table, capacity=1, actor=moderator, reason="Sala más pequeña")

    assert all(person.state == RegistrationState.CONFIRMED for person in people)
    assert table.capacity == 1 and table.seats_left == 0
    late = make_registration(table)
    assert late.state == RegistrationState.WAITING
    # Seats free up only once fewer people are confirmed than the new capacity.
    assert services.cancel(people[0], actor=people[0].user) == []
    assert services.cancel(people[1], actor=people[1].user) == []
    assert services.cancel(people[2], actor=people[2].user) == [late]
    assert_counter_matches(table)
    assert "3 → 1: Sala más pequeña" in [row.reason for row in history(table)]


def test_raising_capacity_promotes_people_in_order(table, moderator):
    for _ in range(3):
        make_registration(table)
    waiting = [make_registration(table) for _ in range(3)]
    promoted = services.set_capacity(table, capacity=5, actor=moderator)
    assert promoted == waiting[:2]
    assert services.waiting_position(waiting[2]) == 1
    assert len(outbox_to(waiting[0].user.email)) == 1
    assert_counter_matches(table)


@pytest.mark.parametrize("capacity", [0, -5, 2001, 10 ** 12, True, "10", None])
def test_negative_or_absurd_capacities_are_refused(cycle, moderator, table, capacity):
    with pytest.raises(DomainError, match="capacity") as refused:
        services.create_table(cycle, title="Mesa", area="Área", starts_at=datetime(2030, 1, 1, tzinfo=UTC),
                              address="Calle", capacity=capacity, actor=moderator)
    assert refused.value.field == "capacity"
    with pytest.raises(DomainError):
        services.set_capacity(table, capacity=capacity, actor=moderator)
    _db.session.refresh(table)
    assert table.capacity == 3


@pytest.mark.parametrize("link", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>x</script>",
                                  "ftp://example.org/x", "https://", "//example.org", "example.org"])
def test_only_web_links_are_online_links(cycle, moderator, link):
    with pytest.raises(DomainError) as refused:
        make_table(cycle, actor=moderator, address=None, online_link=link)
    assert refused.value.field == "online_link"


def test_an_online_table_keeps_its_https_link(cycle, moderator):
    table = make_table(cycle, actor=moderator, address=None, online_link="HTTPS://meet.example.org/mesa-1")
    assert table.online_link == "https://meet.example.org/mesa-1"
    with pytest.raises(DomainError, match="address"):
        make_table(cycle, actor=moderator, address=" ", online_link="")


def test_only_moderators_of_the_jurisdiction_create_tables(cycle):
    with pytest.raises(PermissionDenied):
        make_table(cycle, actor=make_user())
    with pytest.raises(PermissionDenied):
        make_table(cycle, actor=make_moderator(make_jurisdiction()))


# --- windows and time zones ----------------------------------------------------------------------

def test_registration_outside_its_window_is_refused_with_the_closing_time(cycle, moderator, clock):
    clock.at(2025, 3, 1, 12)
    closes = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)  # 10 March 2025, 00:00 in Santiago (UTC-3)
    table = make_table(cycle, actor=moderator, starts_at=datetime(2025, 3, 12, 13, tzinfo=UTC),
                       registration_window=Window(datetime(2025, 3, 2, 3, tzinfo=UTC), closes))
    person = make_user()

    clock.at(2025, 3, 1, 12)
    with pytest.raises(WindowClosed, match="not open yet"):
        services.register(table, user=person)
    clock.at(closes - timedelta(seconds=1))
    assert services.register(table, user=person).state == RegistrationState.CONFIRMED
    clock.at(closes)
    with pytest.raises(WindowClosed) as refused:
        services.register(table, user=make_user())
    assert "closed on Monday, March 10, 2025, 00:00:00" in refused.value.message
    assert states(table) == {"CONFIRMED": 1}


def test_a_closed_table_takes_no_registrations(table, moderator, clock):
    make_registration(table)
    clock.at(table.starts_at + timedelta(hours=1))
    services.write_minutes(table, minutes="<p>Acta</p>", actor=moderator)
    services.close_table(table, actor=moderator)
    with pytest.raises(DomainError, match="closed"):
        services.register(table, user=make_user())
    assert table.seats_taken == 1


def test_the_magallanes_table_is_shown_in_punta_arenas_time(client, cycle, moderator):
    # 19 July 2018, 10:00 in Punta Arenas (UTC-3 all year) is 09:00 in Santiago (UTC-4 in winter).
    table = make_table(cycle, actor=moderator, region=Region.MA, commune="Punta Arenas",
                       starts_at=datetime(2018, 7, 19, 10, 0), ends_at=datetime(2018, 7, 19, 13, 0),
                       registration_window=(datetime(2018, 7, 1, 0, 0), datetime(2018, 7, 19, 8, 30)))
    assert table.venue_timezone == "America/Punta_Arenas"
    assert table.starts_at == datetime(2018, 7, 19, 13, 0, tzinfo=UTC)

    page = client.get(f"/mesas/{table.id}").get_data(as_text=True)
    assert "19 Jul 2018, 10:00" in page and "13:00" in page and "America/Punta_Arenas" in page
    assert "09:00" not in page
    # Elsewhere the jurisdiction's zone is the default.
    assert make_table(cycle, actor=moderator).venue_timezone == cycle.jurisdiction.timezone


def test_a_visitor_reads_a_table_in_spanish_by_default(app, cycle, moderator):
    table = make_table(cycle, actor=moderator, region=Region.MA, commune="Punta Arenas",
                       starts_at=datetime(2018, 7, 19, 10, 0), ends_at=datetime(2018, 7, 19, 13, 0))
    page = app.test_client().get(f"/mesas/{table.id}").get_data(as_text=True)
    assert '<html lang="es"' in page and "19 jul 2018, 10:00" in page
    assert "Quedan 10 cupos de 10" in page and "Las inscripciones están cerradas." in page


# --- organisations -------------------------------------------------------------------------------

def test_a_person_registers_for_a_verified_organisation_only(table):
    organisation = make_organisation()
    representative = organisation.representations[0].user
    registration = make_registration(table, representative, organisation=organisation)
    assert registration.sector == organisation.sector and registration.organisation_id == organisation.id

    with pytest.raises(DomainError) as refused:
        services.register(table, user=make_user(), organisation=organisation)
    assert refused.value.field == "organisation"
    with pytest.raises(DomainError):
        services.register(table, user=make_user(), sector=Sector.OSC)
    unverified = make_organisation(verified=False)
    with pytest.raises(DomainError):
        services.register(table, user=unverified.representations[0].user, organisation=unverified)
    assert table.seats_taken == 1


# --- check-in, minutes and the two figures -------------------------------------------------------

def test_attendance_is_check_in_rows_registered_or_walk_in(cycle, moderator, table):
    ana, beto, carla = (make_registration(table) for _ in range(3))
    waiting = make_registration(table)
    other_table = make_table(cycle, actor=moderator)
    elsewhere = make_registration(other_table)

    services.check_in_code(table, code=ana.code.lower(), actor=moderator)
    services.check_in(beto, actor=moderator)
    services.walk_in(table, name="Pedro Pérez", organisation_name="Junta de Vecinos 12", actor=moderator)
    services.walk_in(table, name="Pedro Pérez", actor=moderator)  # two people of the same name: two rows
    services.walk_in(other_table, name="Rosa", actor=moderator)

    with pytest.raises(DomainError, match="already checked in"):
        services.check_in_code(table, code=f" {ana.code[:3]}-{ana.code[3:]} ", actor=moderator)
    with pytest.raises(DomainError, match="another table"):
        services.check_in_code(table, code=elsewhere.code, actor=moderator)
    with pytest.raises(DomainError, match="No registration"):
        services.check_in_code(table, code="XXXXXX", actor=moderator)
    with pytest.raises(DomainError, match="no confirmed seat"):
        services.check_in(waiting, actor=moderator)
    with pytest.raises(PermissionDenied):
        services.check_in(carla, actor=make_moderator(make_jurisdiction()))
    with pytest.raises(DomainError):
        services.walk_in(table, name="  ", actor=moderator)

    recount = _db.session.scalar(select(func.count()).select_from(CheckIn).join(WorkingTable)
                                 .where(WorkingTable.cycle_id == cycle.id))
    assert services.attendees(cycle) == recount == 5
    assert services.attendance_by_table([table, other_table]) == {table.id: 4, other_table.id: 1}
    assert services.organisations_checked_in(table) == ["Junta de Vecinos 12"]


def test_the_database_refuses_a_second_check_in_of_one_person(table, moderator):
    registration = make_registration(table)
    services.check_in(registration, actor=moderator)
    with pytest.raises(IntegrityError), _db.session.begin_nested():
        _db.session.add(CheckIn(table_id=table.id, user_id=registration.user_id, registration_id=None,
                                walk_in_name=None))
        _db.session.flush()


def test_tables_held_are_the_tables_closed_with_minutes(cycle, moderator, clock):
    tables = [make_table(cycle, actor=moderator) for _ in range(3)]
    clock.at(tables[0].starts_at + timedelta(hours=3))
    with pytest.raises(DomainError, match="minutes"):
        services.close_table(tables[0], actor=moderator)
    for table in tables[:2]:
        services.write_minutes(table, minutes="<p>Se discutió el acceso a la información.</p>", actor=moderator)
        services.close_table(table, actor=moderator)

    recount = _db.session.scalar(select(func.count()).select_from(WorkingTable).where(
        WorkingTable.cycle_id == cycle.id, WorkingTable.state == TableState.CLOSED, WorkingTable.minutes != ""))
    assert services.tables_held(cycle) == recount == 2
    assert services.tables_held(make_cycle(cycle.jurisdiction)) == 0
    assert [row.to_state for row in history(tables[0])] == ["SCHEDULED", "MINUTES", "CLOSED"]


def test_minutes_wait_for_the_table_and_are_sanitised(table, moderator, clock):
    with pytest.raises(DomainError, match="not taken place yet"):
        services.write_minutes(table, minutes="<p>Acta</p>", actor=moderator)
    clock.at(table.starts_at + timedelta(minutes=30))
    services.write_minutes(
        table, actor=moderator,
        minutes='<p onclick="steal()">Acuerdos</p><script>alert(1)</script><a href="javascript:x()">x</a>',
        organisations_present="Fundación Ciudadanía\n\n  Fundación Ciudadanía \nChile Transparente")
    assert "script" not in table.minutes and "onclick" not in table.minutes and "javascript" not in table.minutes
    assert "Acuerdos" in table.minutes
    assert table.organisations_present_list == ["Fundación Ciudadanía", "Chile Transparente"]
    with pytest.raises(DomainError, match="Write the minutes"):
        services.write_minutes(table, minutes="<p> </p><script></script>", actor=moderator)


# --- proposals at tables -------------------------------------------------------------------------

@pytest.fixture
def intake(jurisdiction):
    """A cycle taking proposals, with two tables."""
    return make_intake_cycle(jurisdiction)


def test_a_proposal_sits_at_one_table_at_a_time(intake, moderator):
    first, second = make_table(intake, actor=moderator), make_table(intake, actor=moderator)
    proposals = [make_proposal(intake) for _ in range(3)]

    assert len(services.assign_proposals(first, proposals[:2], actor=moderator)) == 2
    assert services.assign_proposals(first, proposals[:1], actor=moderator) == []  # already there
    services.assign_proposals(second, proposals[1:], actor=moderator)

    assert [link.proposal for link in services.assigned_links(first)] == proposals[:1]
    assert [link.proposal for link in services.assigned_links(second)] == proposals[1:]
    assert services.table_of(proposals[1]) == second and services.table_of(make_proposal(intake)) is None
    assert _db.session.scalar(select(func.count()).select_from(TableProposal)) == 3
    link = services.assigned_links(second)[0]
    assert [(row.to_state, row.reason) for row in history(link)] == [
        ("ASSIGNED", proposals[1].reference), ("MOVED", f"{first.title} → {second.title}")]


def test_the_database_keeps_a_proposal_at_one_table(intake, moderator):
    first, second = make_table(intake, actor=moderator), make_table(intake, actor=moderator)
    proposal = make_proposal(intake)
    services.assign_proposals(first, [proposal], actor=moderator)
    with pytest.raises(IntegrityError), _db.session.begin_nested():
        _db.session.add(TableProposal(table_id=second.id, proposal_id=proposal.id))
        _db.session.flush()


def test_only_the_cycles_live_proposals_are_assigned_by_its_moderators(intake, moderator, cycle):
    from consulta.proposals.models import WithdrawalReason
    from consulta.proposals.services import withdraw

    table = make_table(intake, actor=moderator)
    withdrawn = make_proposal(intake)
    withdraw(withdrawn, reason=WithdrawalReason.DUPLICATE, actor=withdrawn.author)
    other_cycle = make_proposal(make_intake_cycle(intake.jurisdiction))
    for proposal in (withdrawn, other_cycle):
        with pytest.raises(DomainError) as refused:
            services.assign_proposals(table, [proposal], actor=moderator)
        assert refused.value.field == "proposals"
    with pytest.raises(PermissionDenied):
        services.assign_proposals(table, [make_proposal(intake)], actor=make_moderator(make_jurisdiction()))
    choices = [proposal for proposal, _ in services.assignment_choices(table)]
    assert withdrawn not in choices and other_cycle not in choices and len(choices) == 1


def test_the_minutes_mark_what_was_discussed_and_the_pages_show_each_other(client, intake, moderator, login_as,
                                                                           clock):
    table = make_table(intake, actor=moderator, title="Mesa de datos abiertos")
    discussed, skipped = make_proposal(intake, title="Portal de datos"), make_proposal(intake, title="Otra idea")
    login_as(moderator)
    page = f"/mesas/{table.id}/propuestas"
    assert post(client, page, {"proposals": [str(discussed.id), str(skipped.id)]}).status_code == 302
    agenda = client.get(f"/mesas/{table.id}").get_data(as_text=True)
    assert discussed.reference in agenda and skipped.reference in agenda

    with pytest.raises(DomainError):
        services.write_minutes(table, minutes="<p>Acta</p>", actor=moderator, discussed=[make_proposal(intake)])
    clock.at(table.starts_at + timedelta(hours=2))
    response = post(client, f"/mesas/{table.id}/acta", {"minutes": "<p>Acta</p>", "organisations_present": "",
                                                        "discussed": [str(discussed.id)]})
    assert response.status_code == 302
    services.close_table(table, actor=moderator)
    _db.session.commit()

    public = client.get(f"/mesas/{table.id}").get_data(as_text=True)
    assert "Portal de datos" in public and "Otra idea" not in public
    rendered = app_render("tables/_proposal_table.html", proposal=discussed)
    assert f"/mesas/{table.id}" in rendered and "Mesa de datos abiertos" in rendered
    assert "Mesa" not in app_render("tables/_proposal_table.html", proposal=make_proposal(intake))


def app_render(template, **context):
    from flask import render_template

    return render_template(template, **context)


# --- what people see -----------------------------------------------------------------------------

@pytest.fixture
def held_table(cycle, moderator, clock):
    """A table that took place: two registered people (with private needs), one walk-in, minutes."""
    table = make_table(cycle, actor=moderator, title="Mesa de integridad", capacity=1)
    ana = make_user(display_name="Ana Secreta", email="ana.secreta@example.org", phone="+56 9 1111 2222")
    beto = make_user(display_name="Beto Privado", email="beto.privado@example.org")
    first = make_registration(table, ana, needs="Intérprete de lengua de señas")
    make_registration(table, beto, needs="Silla de ruedas")
    clock.at(table.starts_at + timedelta(hours=1))
    services.check_in(first, actor=moderator)
    services.walk_in(table, name="Walter Sinregistro", organisation_name="Junta de Vecinos 7", actor=moderator)
    services.write_minutes(table, minutes="<p>Acuerdos de la mesa</p>", actor=moderator,
                           organisations_present="Junta de Vecinos 7")
    services.close_table(table, actor=moderator)
    _db.session.commit()
    return table


PRIVATE = ("Ana Secreta", "Beto Privado", "ana.secreta@example.org", "beto.privado@example.org", "1111 2222",
           "Intérprete", "Silla de ruedas", "Walter Sinregistro")


def test_a_visitor_never_sees_names_contact_data_or_needs(client, held_table, login_as):
    cycle = held_table.cycle
    pages = [f"/mesas/{held_table.id}", f"/mesas/{cycle.jurisdiction.slug}/{cycle.slug}",
             f"/mesas/{held_table.id}/calendario.ics"]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert not [secret for secret in PRIVATE if secret in body], path
    public = client.get(f"/mesas/{held_table.id}").get_data(as_text=True)
    assert "Acuerdos de la mesa" in public and "Junta de Vecinos 7" in public and "2 attendees" in public

    for path in (f"/mesas/{held_table.id}/gestion", f"/mesas/{held_table.id}/lista",
                 f"/mesas/{held_table.id}/inscripciones.csv", f"/mesas/{held_table.id}/inscripciones.xlsx"):
        assert client.get(path).status_code == 302  # to the sign-in page
    login_as(make_user())
    for path in (f"/mesas/{held_table.id}/gestion", f"/mesas/{held_table.id}/inscripciones.csv"):
        assert client.get(path).status_code == 403


def test_moderators_see_names_and_needs(client, held_table, moderator, login_as):
    login_as(moderator)
    page = client.get(f"/mesas/{held_table.id}/gestion").get_data(as_text=True)
    assert "Ana Secreta" in page and "Intérprete de lengua de señas" in page and "Walter Sinregistro" in page
    printable = client.get(f"/mesas/{held_table.id}/lista").get_data(as_text=True)
    assert "Beto Privado" in printable and "Silla de ruedas" in printable


def test_exports_carry_contact_data_for_that_jurisdictions_moderators_only(client, held_table, moderator,
                                                                           login_as):
    login_as(make_moderator(make_jurisdiction()))
    assert client.get(f"/mesas/{held_table.id}/inscripciones.csv").status_code == 403

    login_as(moderator)
    response = client.get(f"/mesas/{held_table.id}/inscripciones.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    assert "ana.secreta@example.org" in text and "'+56 9 1111 2222" in text and "Silla de ruedas" in text

    response = client.get(f"/mesas/{held_table.id}/inscripciones.xlsx")
    assert response.mimetype == exports.XLSX_MIMETYPE
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(rows) == 3 and any("beto.privado@example.org" in row for row in rows)


def test_exported_cells_never_become_formulas(table, moderator):
    make_registration(table, make_user(display_name="=HYPERLINK(\"http://evil\")"), needs="@SUM(A1)")
    rows = exports.registration_rows(table)
    csv_text = exports.registrations_csv(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text
    sheet = load_workbook(io.BytesIO(exports.registrations_xlsx(table))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == rows[1][1]


def test_the_calendar_file_is_public_utc_and_folded(client, cycle, moderator):
    table = make_table(cycle, actor=moderator, title="Mesa, con comas; y punto y coma " + "larga " * 20,
                       region=Region.MA, starts_at=datetime(2018, 7, 19, 10, 0))
    response = client.get(f"/mesas/{table.id}/calendario.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data()
    lines = body.split(b"\r\n")
    assert b"DTSTART:20180719T130000Z" in lines and b"DTEND:20180719T150000Z" in lines
    assert all(len(line) <= 75 for line in lines)
    unfolded = body.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:Mesa\\, con comas\\; y punto y coma larga" in unfolded
    assert lines[0] == b"BEGIN:VCALENDAR" and body.endswith(b"END:VCALENDAR\r\n")


# --- reminders -----------------------------------------------------------------------------------

def test_the_reminder_goes_once_to_each_confirmed_person_a_day_before(app, cycle, moderator, clock):
    clock.at(2030, 5, 1, 12)
    soon = make_table(cycle, actor=moderator, capacity=2, starts_at=datetime(2030, 5, 2, 11, tzinfo=UTC))
    later = make_table(cycle, actor=moderator, starts_at=datetime(2030, 5, 3, 12, tzinfo=UTC))
    ana, beto, waiting = (make_registration(soon) for _ in range(3))
    not_yet = make_registration(later)
    services.cancel(beto, actor=beto.user)  # promotes `waiting`
    gone = make_registration(soon)  # waiting, then cancelled
    services.cancel(gone, actor=gone.user)

    assert services.send_reminders() == 2
    assert services.send_reminders() == 0
    for person in (ana, waiting):
        reminders = [email for email in outbox_to(person.user.email) if "Recordatorio" in email.subject
                     or "Reminder" in email.subject]
        assert len(reminders) == 1 and person.code in reminders[0].body_text
    assert outbox_to(not_yet.user.email) == [] and not_yet.reminded_at is None

    clock.at(2030, 5, 2, 12, 30)
    result = app.test_cli_runner().invoke(args=["tables", "remind"])
    assert result.exit_code == 0 and "reminders queued: 1" in result.output
    assert app.test_cli_runner().invoke(args=["tables", "remind"]).output.strip() == "reminders queued: 0"


# --- through the pages ---------------------------------------------------------------------------

def test_a_person_registers_sees_the_code_then_waits_with_a_position(client, table, login_as):
    for _ in range(2):
        make_registration(table)
    seated, late = make_user(), make_user()

    login_as(seated)
    response = post(client, f"/mesas/{table.id}/inscripcion", {"take_part_as": "ciudadania", "needs": "Rampa"})
    assert response.status_code == 302
    mine = services.live_registration(table, seated)
    assert mine.state == RegistrationState.CONFIRMED and mine.needs == "Rampa"
    assert mine.code in client.get(f"/mesas/{table.id}").get_data(as_text=True)

    login_as(late)
    post(client, f"/mesas/{table.id}/inscripcion", {"take_part_as": "ciudadania"})
    page = client.get(f"/mesas/{table.id}").get_data(as_text=True)
    assert "number 1 on the waiting list" in page
    # Posting again changes nothing.
    post(client, f"/mesas/{table.id}/inscripcion", {"take_part_as": "ciudadania"}, form_page=f"/mesas/{table.id}")
    assert states(table) == {"CONFIRMED": 3, "WAITING": 1}


def test_a_forged_organisation_choice_is_refused(client, table, login_as):
    login_as(make_user())
    other = make_organisation()
    response = post(client, f"/mesas/{table.id}/inscripcion", {"take_part_as": str(other.id)})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert states(table) == {}


def test_cancelling_through_the_page_promotes_and_a_stranger_cannot(client, table, login_as):
    confirmed = [make_registration(table) for _ in range(3)]
    waiting = make_registration(table)
    path = f"/mesas/{table.id}/inscripciones/{confirmed[0].id}/cancelar"

    login_as(make_user())
    token = CSRF.search(client.get(f"/mesas/{table.id}").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token.group(1) if token else ""}).status_code == 403

    login_as(confirmed[0].user)
    response = post(client, path, form_page=f"/mesas/{table.id}")
    assert response.status_code == 302
    _db.session.refresh(waiting)
    assert waiting.state == RegistrationState.CONFIRMED
    assert len(outbox_to(waiting.user.email)) == 1


def test_a_moderator_creates_a_table_from_local_times(client, cycle, moderator, login_as):
    login_as(moderator)
    path = f"/mesas/{cycle.jurisdiction.slug}/{cycle.slug}/nueva"
    data = {"title": "Mesa de salud", "area": "Salud", "starts_at": "2030-07-19T10:00", "ends_at": "2030-07-19T13:00",
            "venue_timezone": "", "address": "Plaza de Armas 1", "commune": "Punta Arenas", "region": "MA",
            "online_link": "", "capacity": "40", "registration_opens": "2030-07-01T09:00",
            "registration_closes": "2030-07-18T18:00", "accessibility_notes": "Acceso sin escalones"}
    response = post(client, path, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    table = _db.session.scalar(select(WorkingTable).where(WorkingTable.title == "Mesa de salud"))
    assert table.venue_timezone == "America/Punta_Arenas"
    assert table.starts_at == datetime(2030, 7, 19, 13, tzinfo=UTC)
    assert table.registration_closes_at == datetime(2030, 7, 18, 21, tzinfo=UTC)


@pytest.mark.parametrize("changes, field", [
    ({"online_link": "javascript:alert(1)", "address": ""}, "online_link"),
    ({"capacity": "-3"}, "capacity"),
    ({"capacity": "99999999999999999999"}, "capacity"),
    ({"capacity": "muchos"}, "capacity"),
    ({"ends_at": "2030-07-19T09:00"}, "ends_at"),
    ({"title": "x" * 201}, "title"),
    ({"registration_closes": "2030-07-20T10:00"}, "registration_closes"),
])
def test_bad_table_input_comes_back_with_a_message_and_what_was_typed(client, cycle, moderator, login_as,
                                                                      changes, field):
    login_as(moderator)
    path = f"/mesas/{cycle.jurisdiction.slug}/{cycle.slug}/nueva"
    data = {"title": "Mesa tipeada", "area": "Salud", "starts_at": "2030-07-19T10:00",
            "ends_at": "2030-07-19T13:00", "venue_timezone": "", "address": "Plaza 1", "commune": "", "region": "",
            "online_link": "", "capacity": "40", "registration_opens": "2030-07-01T09:00",
            "registration_closes": "2030-07-18T18:00", **changes}
    response = post(client, path, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = re.findall(r'<li><a href="#(\w+)">', body)
    assert set(summary) == {field}
    assert 'value="Salud"' in body and f'value="{data["capacity"]}"' in body
    assert _db.session.scalar(select(func.count()).select_from(WorkingTable)) == 0


def test_at_the_door_through_the_pages(client, table, moderator, login_as, clock):
    registered = make_registration(table)
    elsewhere = make_registration(make_table(table.cycle, actor=moderator))
    login_as(moderator)
    manage = f"/mesas/{table.id}/gestion"

    assert post(client, f"/mesas/{table.id}/asistencia", {"code": registered.code}, form_page=manage).status_code == 302
    again = post(client, f"/mesas/{table.id}/asistencia", {"code": registered.code}, form_page=manage)
    assert again.status_code == 422 and "already checked in" in again.get_data(as_text=True)
    other = post(client, f"/mesas/{table.id}/asistencia", {"code": elsewhere.code}, form_page=manage)
    assert other.status_code == 422
    assert post(client, f"/mesas/{table.id}/sin-inscripcion", {"name": "Sin Registro"},
                form_page=manage).status_code == 302
    assert post(client, f"/mesas/{table.id}/capacidad", {"capacity": "-1"}, form_page=manage).status_code == 422
    assert post(client, f"/mesas/{table.id}/capacidad", {"capacity": "5"}, form_page=manage).status_code == 302
    assert services.attendance_by_table([table]) == {table.id: 2}

    found = client.get(manage + "?q=" + registered.user.display_name).get_data(as_text=True)
    assert registered.code in found and elsewhere.code not in found

    clock.at(table.starts_at + timedelta(hours=2))
    post(client, f"/mesas/{table.id}/acta", {"minutes": "<p>Acta</p>", "organisations_present": ""})
    assert post(client, f"/mesas/{table.id}/cerrar", form_page=manage).status_code == 302
    assert table.state == TableState.CLOSED


def test_the_cycle_page_lists_tables_and_counts_what_took_place(client, held_table):
    cycle = held_table.cycle
    page = client.get(f"/mesas/{cycle.jurisdiction.slug}/{cycle.slug}").get_data(as_text=True)
    assert "Mesa de integridad" in page and "1 table took place" in page and "2 attendees" in page
    assert client.get("/mesas/no-existe/ciclo").status_code == 404
    assert client.get("/mesas/999999").status_code == 404


# --- many at once --------------------------------------------------------------------------------

@contextmanager
def sessions_from_a_pool_of(app, size):
    """Every app context gets its session from one engine of at most `size` connections."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=size, max_overflow=0, pool_timeout=120)
    original = _db.session
    _db.session = scoped_session(sessionmaker(bind=engine), scopefunc=_app_ctx_id)
    try:
        yield engine
    finally:
        _db.session = original
        engine.dispose()


def register_in_own_session(app, table_id, user_id):
    """One request's unit of work: a session of its own, the service, one commit."""
    with app.app_context():
        try:
            table, user = _db.session.get(WorkingTable, table_id), _db.session.get(User, user_id)
            registration = services.register(table, user=user)
            _db.session.commit()
            return registration.state
        except DomainError as refused:
            _db.session.rollback()
            return refused
        finally:
            _db.session.remove()


def assert_a_clean_waiting_list(table, *, confirmed, waiting):
    _db.session.rollback()  # end this session's read, to see what the others committed
    assert states(table) == {state: count for state, count in (("CONFIRMED", confirmed), ("WAITING", waiting)) if count}
    tickets = _db.session.scalars(select(Registration.waitlist_ticket).where(
        Registration.table_id == table.id, Registration.state == RegistrationState.WAITING)).all()
    assert sorted(tickets) == list(range(1, waiting + 1))
    assert waiting_positions(table) == list(range(1, waiting + 1))
    people = _db.session.scalars(select(Registration.user_id).where(Registration.table_id == table.id)).all()
    assert len(people) == len(set(people)) == confirmed + waiting
    assert_counter_matches(table)


@pytest.mark.concurrency
def test_people_registering_at_once_through_the_pages_never_overbook(app, committed_db):
    """The SQLite variant (it runs on PostgreSQL too): 30 people post the form at the same instant
    for 10 seats, each request in a thread of its own with its own connection."""
    table = make_table(capacity=10)
    people = [make_user() for _ in range(30)]
    committed_db.session.commit()
    table_id, session_ids = table.id, [person.get_id() for person in people]
    clients = []
    for session_id in session_ids:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = session_id, True
        token = CSRF.search(client.get(f"/mesas/{table_id}/inscripcion").get_data(as_text=True)).group(1)
        clients.append((client, token))

    def attempt(i):
        client, token = clients[i]
        return client.post(f"/mesas/{table_id}/inscripcion",
                           data={"take_part_as": "ciudadania", "csrf_token": token}).status_code

    results, errors = run_together(len(clients), attempt)
    assert errors == [] and results == [302] * 30
    assert_a_clean_waiting_list(table, confirmed=10, waiting=20)


@postgres_only
@pytest.mark.postgres
@pytest.mark.concurrency
def test_200_people_at_once_on_postgresql_get_50_seats_and_a_clean_waiting_list(app, committed_db):
    table = make_table(capacity=50)
    people = [make_user() for _ in range(200)]
    committed_db.session.commit()
    table_id, user_ids = table.id, [person.id for person in people]

    started = time.monotonic()
    with sessions_from_a_pool_of(app, 20):
        results, errors = run_together(200, lambda i: register_in_own_session(app, table_id, user_ids[i]))
    elapsed = time.monotonic() - started
    print(f"200 registrations at once through a pool of 20 connections: {elapsed:.2f} s")

    assert errors == []
    assert results.count(RegistrationState.CONFIRMED) == 50 and results.count(RegistrationState.WAITING) == 150
    assert_a_clean_waiting_list(table, confirmed=50, waiting=150)

    first_waiting = _db.session.scalar(select(Registration).where(Registration.table_id == table.id,
                                                                  Registration.waitlist_ticket == 1))
    leaving = _db.session.scalar(select(Registration).where(Registration.table_id == table.id,
                                                            Registration.state == RegistrationState.CONFIRMED))
    assert services.cancel(leaving, actor=leaving.user) == [first_waiting]
    committed_db.session.commit()
    assert first_waiting.state == RegistrationState.CONFIRMED
    assert waiting_positions(table) == list(range(1, 150))
    assert_counter_matches(table)


@postgres_only
@pytest.mark.postgres
@pytest.mark.concurrency
def test_one_person_posting_20_times_at_once_gets_one_registration(app, committed_db):
    table = make_table(capacity=50)
    person = make_user()
    committed_db.session.commit()
    table_id, person_id = table.id, person.id

    with sessions_from_a_pool_of(app, 20):
        results, errors = run_together(20, lambda i: register_in_own_session(app, table_id, person_id))

    assert errors == []
    assert results.count(RegistrationState.CONFIRMED) == 1
    assert all(isinstance(result, DomainError) for result in results if result != RegistrationState.CONFIRMED)
    assert_a_clean_waiting_list(table, confirmed=1, waiting=0)


@postgres_only
@pytest.mark.postgres
@pytest.mark.concurrency
def test_b_waits_while_a_holds_the_last_seat_then_joins_the_waiting_list(app, committed_db):
    table = make_table(capacity=2)
    make_registration(table)
    a, b = make_user(), make_user()
    committed_db.session.commit()
    table_id, a_id, b_id = table.id, a.id, b.id
    outcome = {}

    def b_attempt():
        outcome["b"] = register_in_own_session(app, table_id, b_id)

    with app.app_context():
        taken = services.register(_db.session.get(WorkingTable, table_id), user=_db.session.get(User, a_id))
        assert taken.state == RegistrationState.CONFIRMED  # flushed, not committed: A holds the row
        session_b = threading.Thread(target=b_attempt)
        session_b.start()
        session_b.join(timeout=1.5)
        assert session_b.is_alive() and "b" not in outcome  # B waits for A
        _db.session.commit()
        _db.session.remove()
    session_b.join(timeout=30)

    assert outcome["b"] == RegistrationState.WAITING
    assert_a_clean_waiting_list(table, confirmed=2, waiting=1)


def test_the_partial_for_the_cycle_page_counts_its_tables(held_table, moderator):
    from flask import render_template

    cycle = held_table.cycle
    make_table(cycle, actor=moderator)
    assert services.cycle_summary(cycle) == {"total": 2, "held": 1, "attendees": 2}
    rendered = render_template("tables/_cycle_links.html", cycle=cycle)
    assert f"/mesas/{cycle.jurisdiction.slug}/{cycle.slug}" in rendered and "2 working tables" in rendered
    assert render_template("tables/_cycle_links.html", cycle=make_cycle()).strip() == ""


def test_the_registration_page_says_when_registration_closed(client, table, login_as, clock):
    login_as(make_user())
    path = f"/mesas/{table.id}/inscripcion"
    token = CSRF.search(client.get(path).get_data(as_text=True)).group(1)
    clock.at(table.registration_closes_at + timedelta(seconds=1))
    assert "not open" in client.get(path).get_data(as_text=True)
    refused = client.post(path, data={"take_part_as": "ciudadania", "csrf_token": token}).get_data(as_text=True)
    assert "This closed on" in refused and 'id="error-summary"' in refused
    assert states(table) == {}


def test_a_table_page_runs_the_same_statements_at_ten_and_a_thousand_registrations(client, db, cycle, moderator,
                                                                                  count_queries):
    table = make_table(cycle, actor=moderator, capacity=2000)

    def register(count):
        # Straight into the tables, as confirmed seats with the counter kept equal to a recount.
        start = _db.session.scalar(select(func.count(User.id)))
        _db.session.execute(insert(User.__table__), [
            {"email": f"volumen{start + n}@example.org", "display_name": f"Persona {n}", "locale": "es",
             "state": "ACTIVE", "session_version": 0, "created_at": table.created_at, "updated_at": table.created_at}
            for n in range(count)])
        people = _db.session.scalars(select(User.id).order_by(User.id.desc()).limit(count)).all()
        _db.session.execute(insert(Registration.__table__), [
            {"table_id": table.id, "user_id": person, "sector": "CIUDADANIA", "needs": "", "code": f"V{person:07d}",
             "state": "CONFIRMED", "created_at": table.created_at, "updated_at": table.created_at}
            for person in people])
        table.seats_taken += count
        _db.session.flush()
        assert_counter_matches(table)

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counted:
            assert client.get(f"/mesas/{table.id}").status_code == 200
        return counted.n

    register(10)
    few = statements()
    register(990)
    assert statements() == few <= 10
