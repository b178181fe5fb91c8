"""The demo's base: the national level and the seed's municipalities, their entities, an account
for every role, organisations, and the cycles — the 3rd and 4th national plans and Renca's current
local plan, whose phases are open on the day the demo is loaded."""
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from consulta.accounts import services as accounts
from consulta.accounts.models import User
from consulta.accounts.passwords import hash_password
from consulta.core import clock
from consulta.core.sectors import Sector
from consulta.core.windows import window_from_dates
from consulta.cycles import services as cycles
from consulta.cycles.models import PhaseKind
from consulta.demo.loader import Demo, cheap_hashes, step
from consulta.extensions import db
from consulta.jurisdictions import services as jurisdictions
from consulta.jurisdictions.models import Jurisdiction, JurisdictionKind, Role
from consulta.jurisdictions.regions import Region
from consulta.organisations import rut
from consulta.organisations import services as organisations

EMAIL_DOMAIN = "demo.consulta.cl"
NATIONAL_SLUG = "chile"

# The seed's municipalities (those who built the Model, Providencia added later, Renca with its
# local plan) and a few from regions far from the capital, for the municipal follow-up.
MUNICIPALITIES = (
    ("Cerro Navia", "cerro-navia", Region.RM), ("Peñalolén", "penalolen", Region.RM),
    ("Recoleta", "recoleta", Region.RM), ("Santo Domingo", "santo-domingo", Region.VA),
    ("Talagante", "talagante", Region.RM), ("Vitacura", "vitacura", Region.RM),
    ("Providencia", "providencia", Region.RM), ("Renca", "renca", Region.RM),
    ("Arica", "arica", Region.AP), ("Antofagasta", "antofagasta", Region.AN),
    ("Coyhaique", "coyhaique", Region.AI), ("Punta Arenas", "punta-arenas", Region.MA),
)

# The 4th plan's responsible entities, as the seed names them.
NATIONAL_ENTITIES = (
    "Consejo para la Transparencia",
    "Ministerio Secretaría General de la Presidencia",
    "Dirección General de Aguas – Ministerio de Obras Públicas",
    "Dirección Nacional del Servicio Civil",
    "Biblioteca del Congreso Nacional",
    "Defensoría Penal Pública",
    "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno",
    "Contraloría General de la República",
    "Unidad de Análisis Financiero",
    "Dirección de Compras y Contratación Pública (ChileCompra)",
)

# key, display name, roles as (role, jurisdiction slug, entity name or None)
ACCOUNTS = (
    ("admin", "Administración nacional", [(Role.ADMIN, NATIONAL_SLUG, None)]),
    ("moderacion", "Equipo de moderación nacional", [(Role.MODERATOR, NATIONAL_SLUG, None)]),
    # The Mesa's members get their role with their seat (demo/mesa.py, mesa.services.add_seat).
    ("mesa_presidencia", "Presidencia de la Mesa (SEGPRES)", []),
    ("mesa_sociedad_civil", "Representante de la sociedad civil en la Mesa", []),
    ("mesa_academia", "Representante académica en la Mesa", []),
    ("mesa_internacional", "Representante de organismo internacional en la Mesa", []),
    ("reporte_cplt", "Reportes del Consejo para la Transparencia",
     [(Role.REPORTER, NATIONAL_SLUG, "Consejo para la Transparencia")]),
    # Each of the 4th plan's other responsible entities reports its own commitments (demo/monitoring.py).
    ("reporte_servicio_civil", "Reportes de la Dirección Nacional del Servicio Civil",
     [(Role.REPORTER, NATIONAL_SLUG, "Dirección Nacional del Servicio Civil")]),
    ("reporte_bcn", "Reportes de la Biblioteca del Congreso Nacional",
     [(Role.REPORTER, NATIONAL_SLUG, "Biblioteca del Congreso Nacional")]),
    ("reporte_dpp", "Reportes de la Defensoría Penal Pública",
     [(Role.REPORTER, NATIONAL_SLUG, "Defensoría Penal Pública")]),
    ("reporte_segpres", "Reportes del Ministerio Secretaría General de la Presidencia",
     [(Role.REPORTER, NATIONAL_SLUG, "Ministerio Secretaría General de la Presidencia")]),
    ("reporte_contraloria", "Reportes de la Contraloría General de la República",
     [(Role.REPORTER, NATIONAL_SLUG, "Contraloría General de la República")]),
    ("reporte_dga", "Reportes de la Dirección General de Aguas",
     [(Role.REPORTER, NATIONAL_SLUG, "Dirección General de Aguas – Ministerio de Obras Públicas")]),
    ("reporte_dos", "Reportes de la División de Organizaciones Sociales",
     [(Role.REPORTER, NATIONAL_SLUG,
       "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno")]),
    ("reporte_uaf", "Reportes de la Unidad de Análisis Financiero",
     [(Role.REPORTER, NATIONAL_SLUG, "Unidad de Análisis Financiero")]),
    ("reporte_chilecompra", "Reportes de ChileCompra",
     [(Role.REPORTER, NATIONAL_SLUG, "Dirección de Compras y Contratación Pública (ChileCompra)")]),
    ("admin_renca", "Administración municipal de Renca", [(Role.ADMIN, "renca", None)]),
    ("moderacion_renca", "Moderación de Renca", [(Role.MODERATOR, "renca", None)]),
    ("ciudadana", "Camila Rojas", []),
    ("osc", "Diego Fuentes (Fundación Tribu)", []),
    ("academia", "Valentina Soto (Red Académica)", []),
)

# key, name, sector, RUT number (its check digit is computed), website, jurisdiction slug, representative key
ORGANISATIONS = (
    ("tribu", "Fundación Tribu", Sector.OSC, 65123456, "https://tribu.example.cl", "renca", "osc"),
    ("ciudadano_inteligente", "Fundación Ciudadano Inteligente", Sector.OSC, 65034567,
     "https://ciudadanointeligente.example.cl", NATIONAL_SLUG, "osc"),
    ("chile_transparente", "Chile Transparente", Sector.OSC, 65045678, "https://chiletransparente.example.cl",
     NATIONAL_SLUG, "osc"),
    ("red_academica", "Red Académica de Gobierno Abierto", Sector.ACADEMIA, 65056789,
     "https://redacademica.example.cl", NATIONAL_SLUG, "academia"),
)

SETUP_DAY = datetime(2016, 3, 1, 12, tzinfo=UTC)


def _email(key: str) -> str:
    return f"{key.replace('_', '.')}@{EMAIL_DOMAIN}"


def already_loaded() -> bool:
    return db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == NATIONAL_SLUG)) is not None


def renew_passwords(demo: Demo) -> None:
    """A second `flask demo` gives the demo accounts fresh passwords, so the printed ones always work."""
    for key, _name, _roles in ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == _email(key)))
        if user is not None:
            demo.users[key] = user
            demo.passwords[key] = secrets.token_urlsafe(9)
            user.password_hash = hash_password(demo.passwords[key])


def credentials(demo: Demo) -> list[str]:
    lines = ["", "Demo accounts (email / password):"]
    for key, name, _roles in ACCOUNTS:
        if key in demo.passwords:
            lines.append(f"  {_email(key):42} {demo.passwords[key]}   {name}")
    return lines


@step
def places(demo: Demo) -> None:
    clock.set_now(SETUP_DAY)
    national = jurisdictions.create_jurisdiction(name="Chile", slug=NATIONAL_SLUG, kind=JurisdictionKind.NATIONAL,
                                                 actor=None)
    demo.jurisdictions[NATIONAL_SLUG] = national
    for name in NATIONAL_ENTITIES:
        demo.entities[name] = jurisdictions.add_entity(national, name=name, actor=None)
    for name, slug, region in MUNICIPALITIES:
        demo.jurisdictions[slug] = jurisdictions.create_jurisdiction(
            name=name, slug=slug, kind=JurisdictionKind.MUNICIPALITY, region=region, actor=None)
    demo.entities["Municipalidad de Renca"] = jurisdictions.add_entity(
        demo.jurisdictions["renca"], name="Municipalidad de Renca", actor=None)
    demo.log(f"jurisdictions: 1 national, {len(MUNICIPALITIES)} municipalities; {len(demo.entities)} entities")


@step
def people(demo: Demo) -> None:
    clock.set_now(SETUP_DAY + timedelta(days=1))
    with cheap_hashes():
        for key, name, _roles in ACCOUNTS:
            demo.passwords[key] = secrets.token_urlsafe(9)
            demo.users[key] = accounts.create_user(email=_email(key), password=demo.passwords[key],
                                                   display_name=name, verified=True)
    db.session.flush()
    admin = None
    for key, _name, roles in ACCOUNTS:
        for role, slug, entity_name in roles:
            # The first national administrator is the bootstrap; everyone else is granted by them.
            jurisdictions.grant_role(demo.users[key], role, demo.jurisdictions[slug], actor=admin,
                                     entity=demo.entities.get(entity_name), reason="demo")
            if key == "admin":
                admin = demo.users["admin"]
    demo.log(f"accounts: {len(ACCOUNTS)}, all verified")


@step
def organised_civil_society(demo: Demo) -> None:
    clock.set_now(SETUP_DAY + timedelta(days=2))
    for key, name, sector, number, website, slug, representative in ORGANISATIONS:
        jurisdiction = demo.jurisdictions[slug]
        request = organisations.request_representation(
            demo.users[representative], name=name, sector=sector, identifier=f"{number}-{rut.check_digit(number)}",
            website=website, jurisdiction=jurisdiction)
        moderator = demo.users["moderacion_renca" if slug == "renca" else "moderacion"]
        organisations.verify_representation(request, actor=moderator, reason="demo")
        demo.organisations[key] = request.organisation
    demo.log(f"organisations: {len(ORGANISATIONS)}, verified")


def _dates(first: date, last: date, tz: str = "America/Santiago"):
    return window_from_dates(first, last, tz)


def _make_cycle(demo: Demo, slug: str, *, name: str, cycle_slug: str, code: str, starts_on: date, ends_on: date,
                phases: list, actor_key: str) -> None:
    jurisdiction = demo.jurisdictions[slug]
    actor = demo.users[actor_key]
    clock.set_now(datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC) - timedelta(days=1))
    cycle = cycles.create_cycle(jurisdiction, name=name, slug=cycle_slug, code=code, starts_on=starts_on,
                                ends_on=ends_on, actor=actor)
    for kind, first, last, by_sector in phases:
        sector_windows = {sector: _dates(a, b, jurisdiction.timezone) for sector, (a, b) in (by_sector or {}).items()}
        window = _dates(first, last, jurisdiction.timezone) if first else None
        cycles.set_phase(cycle, kind, window=window, sector_windows=sector_windows or None, actor=actor)
    demo.cycles.append(cycle)
    demo.log(f"cycle: {jurisdiction.name} — {name} ({len(phases)} phases)")


@step
def plans(demo: Demo) -> None:
    _make_cycle(demo, NATIONAL_SLUG, name="3er Plan de Acción de Gobierno Abierto 2016-2018",
                cycle_slug="3er-plan-2016-2018", code="PA3", starts_on=date(2016, 4, 1), ends_on=date(2018, 8, 31),
                actor_key="admin", phases=[
                    # Each sector had its own channel and window: agencies sent theirs to the Comisión.
                    (PhaseKind.INTAKE, None, None, {Sector.OSC: (date(2016, 4, 21), date(2016, 5, 25)),
                                                     Sector.SERVICIO_PUBLICO: (date(2016, 5, 2), date(2016, 6, 15))}),
                    (PhaseKind.TABLES, date(2016, 6, 20), date(2016, 7, 29), None),
                    (PhaseKind.SYSTEMATISATION, date(2016, 8, 1), date(2016, 8, 31), None),
                    (PhaseKind.CONSULTATION, date(2016, 9, 1), date(2016, 9, 15), None),
                    (PhaseKind.MESA_REVIEW, date(2016, 9, 19), date(2016, 9, 30), None),
                    (PhaseKind.PUBLICATION, date(2016, 10, 3), date(2016, 10, 31), None),
                    (PhaseKind.IMPLEMENTATION, date(2016, 11, 1), date(2018, 8, 31), None),
                ])
    _make_cycle(demo, NATIONAL_SLUG, name="4to Plan de Acción de Gobierno Abierto 2018-2020",
                cycle_slug="4to-plan-2018-2020", code="PA4", starts_on=date(2018, 6, 1), ends_on=date(2020, 8, 31),
                actor_key="admin", phases=[
                    (PhaseKind.INTAKE, date(2018, 6, 18), date(2018, 7, 13), None),
                    (PhaseKind.TABLES, date(2018, 7, 16), date(2018, 8, 17), None),
                    (PhaseKind.SYSTEMATISATION, date(2018, 8, 20), date(2018, 9, 14), None),
                    (PhaseKind.CONSULTATION, date(2018, 9, 17), date(2018, 10, 5), None),
                    (PhaseKind.MESA_REVIEW, date(2018, 10, 8), date(2018, 11, 16), None),
                    (PhaseKind.PUBLICATION, date(2018, 11, 19), date(2018, 11, 30), None),
                    (PhaseKind.IMPLEMENTATION, date(2018, 12, 1), date(2020, 8, 31), None),
                ])
    today = demo.now.astimezone(ZoneInfo(demo.jurisdictions["renca"].timezone)).date()
    _make_cycle(demo, "renca", name=f"Plan de Acción Comunal de Gobierno Abierto de Renca {today.year}",
                cycle_slug=f"plan-comunal-{today.year}", code="REN1", starts_on=today - timedelta(days=20),
                ends_on=today + timedelta(days=365), actor_key="admin_renca", phases=[
                    # Open today, all at once, so that a newcomer can try every form.
                    (PhaseKind.INTAKE, today - timedelta(days=14), today + timedelta(days=30), None),
                    (PhaseKind.TABLES, today - timedelta(days=12), today + timedelta(days=45), None),
                    (PhaseKind.SYSTEMATISATION, today - timedelta(days=11), today + timedelta(days=50), None),
                    (PhaseKind.CONSULTATION, today - timedelta(days=10), today + timedelta(days=60), None),
                    (PhaseKind.MESA_REVIEW, today + timedelta(days=61), today + timedelta(days=75), None),
                    (PhaseKind.PUBLICATION, today + timedelta(days=76), today + timedelta(days=90), None),
                    (PhaseKind.IMPLEMENTATION, today + timedelta(days=91), today + timedelta(days=365), None),
                ])
