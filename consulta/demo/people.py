"""The demo's crowd: participant accounts with plausible Chilean names, the organisations they
represent (civil society, academia, private sector, public agencies), and each municipality's
administrator. Made through the accounts and organisations services like anyone signing up.

The crowd's accounts are never printed: nobody signs in with them (their passwords are random).
"""
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from consulta.accounts import services as accounts
from consulta.core import clock
from consulta.core.sectors import Sector
from consulta.demo.base import EMAIL_DOMAIN, MUNICIPALITIES, NATIONAL_SLUG, ORGANISATIONS as BASE_ORGANISATIONS
from consulta.demo.loader import Demo, cheap_hashes, step
from consulta.extensions import db
from consulta.jurisdictions import services as jurisdictions
from consulta.jurisdictions.models import Role
from consulta.organisations import rut
from consulta.organisations import services as organisations

SEED = 20180618
CROWD_SIZE = 150

FIRST_NAMES = (
    "Francisca", "Javiera", "Catalina", "Constanza", "Fernanda", "Daniela", "Valentina", "Antonia", "Isidora",
    "Sofía", "María José", "Carolina", "Paulina", "Macarena", "Bárbara", "Josefa", "Ignacia", "Trinidad",
    "Matías", "Sebastián", "Nicolás", "Benjamín", "Joaquín", "Tomás", "Vicente", "Felipe", "Cristóbal",
    "Gonzalo", "Rodrigo", "Ignacio", "José Miguel", "Juan Pablo", "Álvaro", "Claudio", "Patricio", "Héctor",
)
SURNAMES = (
    "González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Contreras", "Silva", "Martínez", "Sepúlveda",
    "Morales", "Rodríguez", "López", "Fuentes", "Hernández", "Torres", "Araya", "Flores", "Espinoza",
    "Valenzuela", "Castillo", "Tapia", "Reyes", "Gutiérrez", "Castro", "Pizarro", "Álvarez", "Vásquez",
    "Sánchez", "Fernández", "Ramírez", "Carrasco", "Gómez", "Cortés", "Herrera", "Núñez", "Jara", "Vergara",
    "Rivera", "Figueroa", "Riquelme", "Bravo", "Mardones", "Cárcamo", "Huenchumilla", "Ñancupil",
)


@dataclass(frozen=True)
class OrganisationSpec:
    key: str
    name: str
    sector: Sector
    rut_number: int
    website: str
    jurisdiction: str = NATIONAL_SLUG


# Beyond the base's four: who sent proposals and sat at the tables. Agencies that take part through
# the form register like any organisation; their names match the jurisdiction's entities.
ORGANISATIONS = (
    OrganisationSpec("multitudes", "Fundación Multitudes", Sector.OSC, 65101234, "https://multitudes.example.cl"),
    OrganisationSpec("espacio_publico", "Espacio Público", Sector.OSC, 65102345, "https://espaciopublico.example.cl"),
    OrganisationSpec("observatorio_fiscal", "Observatorio Fiscal", Sector.OSC, 65103456,
                     "https://observatoriofiscal.example.cl"),
    OrganisationSpec("datos_protegidos", "Fundación Datos Protegidos", Sector.OSC, 65104567,
                     "https://datosprotegidos.example.cl"),
    OrganisationSpec("derechos_digitales", "ONG Derechos Digitales", Sector.OSC, 65105678,
                     "https://derechosdigitales.example.cl"),
    OrganisationSpec("participa", "Corporación Participa", Sector.OSC, 65106789, "https://participa.example.cl"),
    OrganisationSpec("red_ambiental_sur", "Red Ambiental del Sur", Sector.OSC, 65107890,
                     "https://redambientalsur.example.cl"),
    OrganisationSpec("inclusion_sorda", "Asociación de Personas Sordas de Chile", Sector.OSC, 65108901,
                     "https://personassordas.example.cl"),
    OrganisationSpec("konrad_adenauer", "Fundación Konrad Adenauer", Sector.OSC, 65109012,
                     "https://kas.example.cl", "renca"),
    OrganisationSpec("junta_huamachuco", "Junta de Vecinos Huamachuco", Sector.OSC, 65110123,
                     "https://jvhuamachuco.example.cl", "renca"),
    OrganisationSpec("usach", "Observatorio de Gobierno Abierto, Universidad de Santiago", Sector.ACADEMIA,
                     70201234, "https://observatorio-usach.example.cl"),
    OrganisationSpec("umag", "Centro de Estudios Regionales, Universidad de Magallanes", Sector.ACADEMIA, 70202345,
                     "https://cer-umag.example.cl"),
    OrganisationSpec("udec", "Núcleo de Participación, Universidad de Concepción", Sector.ACADEMIA, 70203456,
                     "https://participacion-udec.example.cl"),
    OrganisationSpec("acti", "Asociación Chilena de Empresas de Tecnologías de Información", Sector.SECTOR_PRIVADO,
                     76301234, "https://acti.example.cl"),
    OrganisationSpec("camara_antofagasta", "Cámara Regional de Comercio de Antofagasta", Sector.SECTOR_PRIVADO,
                     76302345, "https://camara-antofagasta.example.cl"),
    OrganisationSpec("datos_claros", "Datos Claros SpA", Sector.SECTOR_PRIVADO, 76303456,
                     "https://datosclaros.example.cl"),
    OrganisationSpec("cplt", "Consejo para la Transparencia", Sector.SERVICIO_PUBLICO, 61979430,
                     "https://cplt.example.cl"),
    OrganisationSpec("servicio_civil", "Dirección Nacional del Servicio Civil", Sector.SERVICIO_PUBLICO, 61980120,
                     "https://serviciocivil.example.cl"),
    OrganisationSpec("bcn", "Biblioteca del Congreso Nacional", Sector.SERVICIO_PUBLICO, 61981230,
                     "https://bcn.example.cl"),
    OrganisationSpec("dpp", "Defensoría Penal Pública", Sector.SERVICIO_PUBLICO, 61982340, "https://dpp.example.cl"),
    OrganisationSpec("dga", "Dirección General de Aguas – Ministerio de Obras Públicas", Sector.SERVICIO_PUBLICO,
                     61983450, "https://dga.example.cl"),
    OrganisationSpec("contraloria", "Contraloría General de la República", Sector.SERVICIO_PUBLICO, 61984560,
                     "https://contraloria.example.cl"),
    OrganisationSpec("chilecompra", "Dirección de Compras y Contratación Pública (ChileCompra)",
                     Sector.SERVICIO_PUBLICO, 61985670, "https://chilecompra.example.cl"),
    OrganisationSpec("uaf", "Unidad de Análisis Financiero", Sector.SERVICIO_PUBLICO, 61986780,
                     "https://uaf.example.cl"),
    OrganisationSpec("dos", "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno",
                     Sector.SERVICIO_PUBLICO, 61987890, "https://dos.example.cl"),
)

CROWD_DAY = datetime(2016, 3, 4, 13, tzinfo=UTC)


def crowd_account(demo: Demo, key: str, display_name: str):
    user = accounts.create_user(email=f"{key}@{EMAIL_DOMAIN}", password=secrets.token_urlsafe(18),
                                display_name=display_name, verified=True)
    demo.crowd.append(user)
    return user


def _names(rng: random.Random, count: int) -> list[str]:
    names = set()
    while len(names) < count:
        names.add(f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}")
    return sorted(names, key=lambda _name: rng.random())


@step
def crowd(demo: Demo) -> None:
    """Participants, some of whom represent the organisations; one administrator per municipality."""
    rng = random.Random(SEED)
    clock.set_now(CROWD_DAY)
    names = _names(rng, CROWD_SIZE + len(ORGANISATIONS))
    with cheap_hashes():
        participants = [crowd_account(demo, f"participante.{number:03d}", name)
                        for number, name in enumerate(names[:CROWD_SIZE], start=1)]
        representatives = {spec.key: crowd_account(demo, f"representante.{spec.key.replace('_', '.')}", name)
                            for spec, name in zip(ORGANISATIONS, names[CROWD_SIZE:])}
        admins = {slug: crowd_account(demo, f"admin.{slug}", f"Administración municipal de {name}")
                  for name, slug, _region in MUNICIPALITIES if slug != "renca"}
    db.session.flush()
    demo.participants = participants
    moderators = {NATIONAL_SLUG: demo.users["moderacion"], "renca": demo.users["moderacion_renca"]}
    for spec in ORGANISATIONS:
        user = representatives[spec.key]
        request = organisations.request_representation(
            user, name=spec.name, sector=spec.sector, identifier=f"{spec.rut_number}-{rut.check_digit(spec.rut_number)}",
            website=spec.website, jurisdiction=demo.jurisdictions[spec.jurisdiction])
        clock.set_now(clock.now() + timedelta(minutes=37))
        organisations.verify_representation(request, actor=moderators[spec.jurisdiction], reason="demo")
        demo.organisations[spec.key] = request.organisation
        demo.representatives[spec.key] = user
    for key, *_details, representative in BASE_ORGANISATIONS:
        demo.representatives[key] = demo.users[representative]
    for slug, admin in admins.items():
        jurisdictions.grant_role(admin, Role.ADMIN, demo.jurisdictions[slug], actor=demo.users["admin"],
                                 reason="demo")
    demo.users.update({f"admin_{slug}": admin for slug, admin in admins.items()})
    demo.log(f"crowd: {len(demo.crowd)} verified accounts (not printed), "
             f"{len(demo.organisations)} organisations in all")
