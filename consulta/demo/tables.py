"""The working tables: the 3rd plan's 7 (190 present) and the 4th plan's 8 (410 present), across
regions, each with its registrations, cancellations, check-ins at the door, walk-ins, minutes and
the proposals it discussed; and Renca's two open now, one with a few seats left, one full with a
waiting list. Attendance is the check-in rows the moderators recorded, nothing typed."""
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from consulta.core import clock
from consulta.core.windows import local_to_utc, to_local
from consulta.cycles.models import PhaseKind
from consulta.demo import texts
from consulta.demo.loader import Demo, during
from consulta.demo.people import FIRST_NAMES, SURNAMES
from consulta.demo.timeline import Timeline, moments
from consulta.extensions import db
from consulta.jurisdictions.regions import Region
from consulta.proposals import services as proposals
from consulta.proposals.models import ProposalState
from consulta.tables import services as tables
from consulta.tables.models import RegistrationState

SEED = 4410
NEEDS = ("Intérprete de lengua de señas", "Acceso para silla de ruedas", "Material en letra grande",
         "Asistiré con mi hijo de 4 años")
LOCAL_ORGANISATIONS = {
    Region.RM: ("Junta de Vecinos Villa Olímpica", "Colectivo Ciudadanía Activa", "Consejo de la Sociedad Civil de Ñuñoa"),
    Region.VA: ("Junta de Vecinos Playa Ancha", "Colectivo Cerros de Valparaíso"),
    Region.BI: ("Agrupación Cultural Lota", "Red de Mujeres del Biobío"),
    Region.AN: ("Comunidad Atacameña de Calama", "Agrupación Ambiental Antofagasta"),
    Region.MA: ("Unión Comunal de Juntas de Vecinos de Punta Arenas", "Agrupación Ambiental Patagonia"),
}


@dataclass(frozen=True)
class TableSpec:
    title: str
    area: str
    day: date
    hour: int
    region: Region
    commune: str
    address: str
    capacity: int
    # How many registered (some beyond the capacity wait), cancel, and come: the check-ins.
    registered: int
    cancelled: int
    present: int


SANTIAGO = (Region.RM, "Santiago", "Moneda 1160, Santiago")
VALPARAISO = (Region.VA, "Valparaíso", "Blanco 1131, Valparaíso")
CONCEPCION = (Region.BI, "Concepción", "Avenida Arturo Prat 525, Concepción")
ANTOFAGASTA = (Region.AN, "Antofagasta", "Avenida Angamos 0610, Antofagasta")
PUNTA_ARENAS = (Region.MA, "Punta Arenas", "Avenida Bulnes 01855, Punta Arenas")
A = texts.AREAS

TABLES = {
    # 3rd plan, 20 June – 29 July 2016: 190 present at 7 tables.
    "PA3": (
        TableSpec("Mesa de modernización del Estado", A[2], date(2016, 6, 28), 9, *SANTIAGO, 45, 40, 2, 35),
        TableSpec("Mesa de transparencia e integridad", A[3], date(2016, 6, 30), 9, *SANTIAGO, 40, 36, 1, 32),
        TableSpec("Mesa de políticas sociales y educacionales", A[1], date(2016, 7, 5), 15, *SANTIAGO, 40, 34, 2, 30),
        TableSpec("Mesa de recursos naturales y medio ambiente", A[0], date(2016, 7, 7), 9, *SANTIAGO, 35, 32, 1, 28),
        TableSpec("Mesa regional de Valparaíso", A[2], date(2016, 7, 13), 10, *VALPARAISO, 30, 26, 1, 25),
        TableSpec("Mesa regional del Biobío", A[1], date(2016, 7, 19), 10, *CONCEPCION, 30, 24, 2, 22),
        TableSpec("Mesa regional de Magallanes", A[0], date(2016, 7, 22), 11, *PUNTA_ARENAS, 25, 18, 1, 18),
    ),
    # 4th plan, 16 July – 17 August 2018: 410 present at 8 tables. The first filled up: people waited.
    "PA4": (
        TableSpec("Mesa de modernización del Estado", A[2], date(2018, 7, 24), 9, *SANTIAGO, 60, 66, 3, 72),
        TableSpec("Mesa de transparencia e integridad", A[3], date(2018, 7, 26), 9, *SANTIAGO, 70, 62, 2, 65),
        TableSpec("Mesa de políticas sociales y educacionales", A[1], date(2018, 7, 31), 15, *SANTIAGO, 70, 56, 2, 58),
        TableSpec("Mesa de recursos naturales y medio ambiente", A[0], date(2018, 8, 2), 9, *SANTIAGO, 60, 52, 1, 54),
        TableSpec("Mesa regional de Valparaíso", A[2], date(2018, 8, 6), 10, *VALPARAISO, 50, 44, 2, 48),
        TableSpec("Mesa regional del Biobío", A[1], date(2018, 8, 8), 10, *CONCEPCION, 50, 40, 1, 45),
        TableSpec("Mesa regional de Antofagasta", A[3], date(2018, 8, 10), 10, *ANTOFAGASTA, 45, 34, 1, 38),
        TableSpec("Mesa regional de Magallanes", A[0], date(2018, 8, 13), 11, *PUNTA_ARENAS, 35, 28, 1, 30),
    ),
}
DESCRIPTION = ("Mesa de trabajo del área «%s», abierta a la ciudadanía, la sociedad civil, la academia, el sector "
               "privado y los servicios públicos.")
ACCESSIBILITY = "Acceso para silla de ruedas. Intérprete de lengua de señas a pedido."


def _people(demo: Demo, rng: random.Random, count: int, pool=None) -> list[tuple]:
    """(person, organisation or None): participants as themselves, representatives for their organisation."""
    pool = pool if pool is not None else (
        [(person, None) for person in demo.participants]
        + [(person, demo.organisations[key]) for key, person in sorted(demo.representatives.items())
           if person in demo.crowd])
    return rng.sample(pool, count)


def _walk_in_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _check_in_all(table, rng: random.Random, spec: TableSpec, moderator) -> None:
    """At the door: the confirmed who came, by code or by name, then those who came without registering."""
    confirmed = [registration for registration in table.registrations
                 if registration.state == RegistrationState.CONFIRMED]
    came = rng.sample(confirmed, min(len(confirmed), spec.present - max(2, spec.present // 8)))
    for index, registration in enumerate(came):
        if index % 2:
            tables.check_in_code(table, code=registration.code, actor=moderator)
        else:
            tables.check_in(registration, actor=moderator)
        clock.set_now(clock.now() + timedelta(seconds=40))
    local = LOCAL_ORGANISATIONS[spec.region]
    for _ in range(spec.present - len(came)):
        tables.walk_in(table, name=_walk_in_name(rng), organisation_name=rng.choice(local + (None, None)),
                       actor=moderator)
        clock.set_now(clock.now() + timedelta(seconds=55))


def _close(table, rng: random.Random, spec: TableSpec, moderator) -> None:
    links = tables.assigned_links(table)
    discussed = [link.proposal for link in rng.sample(links, min(len(links), rng.randint(5, 9)))]
    minutes = texts.minutes_text(rng, area=spec.area, place=f"{spec.commune} ({spec.region.label})",
                                 discussed=[f"{proposal.reference}: {proposal.title}" for proposal in discussed])
    tables.write_minutes(table, minutes=minutes, organisations_present=tables.organisations_checked_in(table),
                         discussed=discussed, actor=moderator)
    tables.close_table(table, actor=moderator)


def _held_table(demo: Demo, cycle, phase, spec: TableSpec, rng: random.Random, timeline: Timeline,
                assigned: list) -> None:
    """One table of a past plan, from its creation to its closing with the minutes."""
    moderator = demo.users["moderacion"]
    tz = spec.region.timezone
    local_start = datetime.combine(spec.day, time(spec.hour, 30))
    start = local_to_utc(local_start, tz)
    made = {}

    def create():
        made["table"] = tables.create_table(
            cycle, title=spec.title, area=spec.area, starts_at=local_start, ends_at=local_start + timedelta(hours=3),
            region=spec.region, commune=spec.commune, address=spec.address, capacity=spec.capacity,
            description=DESCRIPTION % spec.area, accessibility_notes=ACCESSIBILITY, actor=moderator)

    created_at = phase.opens_at + timedelta(hours=rng.randint(10, 30))
    timeline.at(created_at, create)
    timeline.at(created_at + timedelta(days=1), lambda: tables.assign_proposals(made["table"], assigned,
                                                                                actor=moderator))
    people = _people(demo, rng, spec.registered)
    _registrations(timeline, rng, made, people, created_at + timedelta(hours=2), start - timedelta(hours=12), tz)
    for person, _organisation in rng.sample(people, spec.cancelled):
        timeline.at(start - timedelta(hours=rng.randint(2, 10)), lambda person=person: _cancel(made["table"], person))
    timeline.at(start + timedelta(minutes=5), lambda: _check_in_all(made["table"], rng, spec, moderator))
    timeline.at(start + timedelta(days=1, hours=2), lambda: _close(made["table"], rng, spec, moderator))


def _registrations(timeline: Timeline, rng: random.Random, made: dict, people, first, last, tz: str) -> None:
    for at, (person, organisation) in zip(moments(rng, first, last, len(people), tz, rush=1.3), people):
        needs = rng.choice(NEEDS) if rng.random() < 0.06 else None
        timeline.at(at, lambda person=person, organisation=organisation, needs=needs:
                    tables.register(made["table"], user=person, organisation=organisation, needs=needs))


def _cancel(table, person) -> None:
    tables.cancel(tables.live_registration(table, person), actor=person, reason="No podré asistir.")


def _assignments(cycle, specs) -> list[list]:
    """The cycle's proposals still under consideration, shared out among the tables of their area."""
    by_area = {}
    for proposal in db.session.scalars(proposals.received(cycle, state=ProposalState.SUBMITTED)):
        by_area.setdefault(proposal.area.name, []).append(proposal)
    shares = [[] for _spec in specs]
    for area, found in by_area.items():
        indices = [index for index, spec in enumerate(specs) if spec.area == area]
        for position, proposal in enumerate(found):
            if indices:
                shares[indices[position % len(indices)]].append(proposal)
    return shares


def _past_plan(demo: Demo, cycle, phase) -> None:
    rng = random.Random(SEED + len(cycle.code) + cycle.id)
    specs = TABLES[cycle.code]
    timeline = Timeline()
    for spec, assigned in zip(specs, _assignments(cycle, specs)):
        _held_table(demo, cycle, phase, spec, rng, timeline, assigned)
    timeline.play()


# --- Renca, open now -----------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenTableSpec:
    title: str
    area: str
    days_ahead: int
    hour: int
    capacity: int
    registered: int


RENCA_TABLES = (
    # A few seats left …
    OpenTableSpec("Mesa de participación ciudadana en los barrios", texts.LOCAL_AREAS[2], 9, 18, 30, 26),
    # … and full, with people waiting.
    OpenTableSpec("Mesa de transparencia municipal", texts.LOCAL_AREAS[0], 16, 19, 20, 23),
)
RENCA_PLACE = ("Blanco Encalada 1335, Renca", "Renca")


def _renca(demo: Demo, cycle, phase) -> None:
    rng = random.Random(SEED + 1)
    moderator = demo.users["moderacion_renca"]
    tz = cycle.jurisdiction.timezone
    today = to_local(demo.now, tz).date()
    neighbours = [(person, None) for person in demo.participants[60:140]] + [
        (demo.representatives[key], demo.organisations[key]) for key in ("junta_huamachuco", "konrad_adenauer")]
    received = db.session.scalars(proposals.received(cycle, state=ProposalState.SUBMITTED)).all()
    timeline = Timeline()
    for spec in RENCA_TABLES:
        made = {}
        local_start = datetime.combine(today + timedelta(days=spec.days_ahead), time(spec.hour, 30))

        def create(spec=spec, made=made, local_start=local_start):
            made["table"] = tables.create_table(
                cycle, title=spec.title, area=spec.area, starts_at=local_start, region=Region.RM,
                address=RENCA_PLACE[0], commune=RENCA_PLACE[1], capacity=spec.capacity,
                description=DESCRIPTION % spec.area, accessibility_notes=ACCESSIBILITY, actor=moderator)

        created_at = phase.opens_at + timedelta(hours=rng.randint(9, 20))
        timeline.at(created_at, create)
        # The proposals received so far, each at the table of its area.
        timeline.at(created_at + timedelta(hours=1), lambda spec=spec, made=made: tables.assign_proposals(
            made["table"], [proposal for proposal in received if proposal.area.name == spec.area], actor=moderator))
        _registrations(timeline, rng, made, _people(demo, rng, spec.registered, neighbours),
                       created_at + timedelta(hours=2), demo.now, tz)
    timeline.play()


@during(PhaseKind.TABLES)
def working_tables(demo: Demo, cycle, phase) -> None:
    if cycle.code in TABLES:
        _past_plan(demo, cycle, phase)
        demo.log(f"tables: {cycle.code} {tables.tables_held(cycle)} held, {tables.attendees(cycle)} present")
    else:
        _renca(demo, cycle, phase)
        demo.log(f"tables: {cycle.code} {len(tables.tables_of(cycle))} open for registration")
