"""The plans' commitments, drafted during systematisation from the proposals they came from: the 4th
plan's twelve exactly as the seed lists them (area, name, N°, responsible entity), N° 4 with its
"¿Cuál es el compromiso?" and its four activities and dates from the seed; the 3rd plan's N° 15 (the
Municipal Model's origin); two of Renca's local plan. Triage then answers every proposal."""
import random
from dataclasses import dataclass
from datetime import date, timedelta

from consulta.commitments import services as commitments
from consulta.core.windows import to_local
from consulta.cycles.models import PhaseKind
from consulta.demo import texts
from consulta.demo.loader import Demo, during
from consulta.demo.timeline import Timeline
from consulta.extensions import db
from consulta.proposals import services as proposals
from consulta.proposals.models import OgpValue, ProposalState

A = texts.AREAS
T, P, R, C = (OgpValue.TRANSPARENCIA, OgpValue.PARTICIPACION, OgpValue.RENDICION_DE_CUENTAS,
              OgpValue.COLABORACION_INNOVACION)
# At most this many proposals go into one commitment; others on the topic get their own answer.
ORIGINS_MAX = 4


@dataclass(frozen=True)
class CommitmentSpec:
    number: int
    area: str
    name: str
    entity: str
    # The (area, topic) of the proposals it came from (texts.TOPICS).
    topics: tuple
    problem: str
    text: str
    values: tuple
    contribution: str = ""
    starts_on: date = date(2018, 12, 1)
    ends_on: date = date(2020, 8, 31)
    activities: tuple = ()


FOURTH_PLAN = (
    CommitmentSpec(
        1, A[1], "Creación de un Plan Nacional de formación cívica en materias de integridad para funcionarios "
                 "públicos", "Dirección Nacional del Servicio Civil", ((A[1], 0),),
        "Los funcionarios públicos no reciben una formación sistemática en probidad, ética e integridad.",
        "Diseñar e implementar un plan nacional de formación cívica en integridad para funcionarios públicos, con "
        "cursos abiertos y evaluación de resultados.", (T, R)),
    CommitmentSpec(
        2, A[1], "Formación en Gobierno Abierto", "Biblioteca del Congreso Nacional", ((A[2], 5),),
        "La ciudadanía y los funcionarios conocen poco los principios y herramientas del gobierno abierto.",
        "Desarrollar programas de formación en gobierno abierto para la ciudadanía, dirigentes sociales y "
        "funcionarios, presenciales y en línea.", (P, C)),
    CommitmentSpec(
        3, A[2], "Justicia Abierta en la Defensoría Penal Pública", "Defensoría Penal Pública", ((A[2], 1),),
        "Las personas imputadas y sus familias no comprenden las resoluciones ni el estado de sus causas.",
        "Abrir información de la defensa penal en lenguaje claro y crear mecanismos de participación de los "
        "usuarios en la mejora del servicio.", (T, P)),
    CommitmentSpec(
        4, A[2], "Ampliación y profundización del Modelo de Gobierno Abierto Municipal",
        "Consejo para la Transparencia", ((A[2], 2), (A[2], 6), (A[3], 5)),
        "Los municipios, primera cara del Estado frente a las comunidades, no cuentan con herramientas para "
        "diagnosticar su apertura ni para co-crear planes locales, en especial en regiones alejadas de la capital.",
        "Promover y gestionar la adhesión de municipalidades del país –con especial énfasis en la incorporación de "
        "municipios de regiones alejadas de la capital– al Modelo de Gobierno Abierto Municipal -desarrollado en el "
        "marco del Tercer Plan Nacional de Chile ante OGP-, de manera que éstas puedan realizar diagnósticos "
        "pertinentes sobre sus situaciones actuales en los ámbitos de transparencia, rendición de cuentas, "
        "participación ciudadana y colaboración con la sociedad civil.", (T, P, R, C),
        contribution="Cada municipio adherido conoce su estado en las cuatro áreas del Modelo y diseña, con su "
                     "comunidad, un plan de acción local.",
        starts_on=date(2018, 12, 1), ends_on=date(2020, 8, 31),
        activities=(
            ("Sistematización y operativización el Modelo de Gobierno Abierto Municipal y su instrumental de "
             "implementación.", date(2018, 12, 1), date(2019, 4, 30)),
            ("Difusión del Modelo y promoción de la adhesión municipal a través de firmas a nivel de alcaldes y "
             "alcaldesas en un acto de voluntad política en municipios.", date(2019, 5, 1), date(2019, 10, 30)),
            ("Capacitación para el uso de instrumentos, elaboración de diagnósticos y diseño participativo de "
             "planes locales de acción.", date(2019, 5, 1), date(2020, 3, 31)),
            ("Asesoría para la implementación y monitoreo.", date(2019, 5, 1), date(2020, 7, 31)),
        )),
    CommitmentSpec(
        5, A[2], "Fortalecimiento de capacidades en servicios para atención inclusiva",
        "Ministerio Secretaría General de la Presidencia", ((A[1], 5), (A[2], 0), (A[2], 7)),
        "Muchos servicios no atienden a personas sordas, con discapacidad o que hablan lenguas originarias.",
        "Fortalecer las capacidades de los servicios públicos para una atención inclusiva, con protocolos, "
        "formación de funcionarios y canales accesibles.", (P, C)),
    CommitmentSpec(
        6, A[3], "Plan estratégico para el fortalecimiento del Sistema de Integridad Pública",
        "Dirección Nacional del Servicio Civil", ((A[3], 6), (A[3], 4)),
        "Los códigos de ética de los servicios no tienen seguimiento ni indicadores comparables.",
        "Elaborar e implementar un plan estratégico del Sistema de Integridad Pública, con indicadores públicos y "
        "participación de las asociaciones de funcionarios.", (T, R)),
    CommitmentSpec(
        7, A[3], "Plan de difusión y seguimiento en Chile de los Objetivos de Desarrollo Sostenible y su "
                 "vinculación con políticas públicas", "Contraloría General de la República",
        ((A[3], 7), (A[0], 7)),
        "No existe un seguimiento público de los ODS vinculado al presupuesto y a las políticas públicas.",
        "Difundir los Objetivos de Desarrollo Sostenible y publicar su seguimiento, vinculado a las políticas "
        "públicas y a la fiscalización.", (T, R)),
    CommitmentSpec(
        8, A[0], "Gestión de recursos hídricos", "Dirección General de Aguas – Ministerio de Obras Públicas",
        ((A[0], 0), (A[0], 2)),
        "La información sobre derechos de agua y el estado de las cuencas está dispersa y no es reutilizable.",
        "Publicar en formato abierto la información de derechos de aprovechamiento de aguas y de monitoreo de "
        "cuencas, y abrir instancias de participación en su gestión.", (T, P)),
    CommitmentSpec(
        9, A[2], "Fortalecimiento de los Consejos de la Sociedad Civil y otros mecanismos de participación "
                 "ciudadana en la gestión pública",
        "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno", ((A[2], 3), (A[1], 6)),
        "Los consejos de la sociedad civil no reciben respuesta a sus propuestas ni tienen incidencia real.",
        "Fortalecer los Consejos de la Sociedad Civil y otros mecanismos de participación, con estándares mínimos, "
        "formación y seguimiento público de sus recomendaciones.", (P, R)),
    CommitmentSpec(
        10, A[3], "Política de Datos Abiertos y Protección de Datos", "Consejo para la Transparencia",
        ((A[2], 4), (A[1], 1)),
        "Los servicios publican datos sin estándares comunes y sin resguardos para los datos personales.",
        "Proponer una política de datos abiertos y protección de datos personales para los órganos del Estado.",
        (T, C)),
    CommitmentSpec(
        11, A[3], "Construir colaborativamente una propuesta de política sobre creación de un registro de dueños "
                  "reales (beneficiarios finales - BF) de empresas", "Unidad de Análisis Financiero", ((A[3], 0),),
        "No se sabe quiénes son los dueños reales de las empresas que contratan con el Estado.",
        "Construir con la sociedad civil, la academia y el sector privado una propuesta de política para un "
        "registro de beneficiarios finales de empresas.", (T, C)),
    CommitmentSpec(
        12, A[3], "Implementación del Estándar Internacional de Datos de Contratación Abierta - OCDS (Open "
                  "Contracting Data Standard)", "Dirección de Compras y Contratación Pública (ChileCompra)",
        ((A[3], 1),),
        "La información de compras públicas no sigue un estándar internacional reutilizable.",
        "Publicar los datos de las compras públicas bajo el estándar OCDS y promover su uso por la ciudadanía.",
        (T, R, C)),
)

THIRD_PLAN = (
    CommitmentSpec(
        15, A[2], "Modelo de Gobierno Abierto a nivel subnacional", "Consejo para la Transparencia",
        ((A[2], 2), (A[2], 6)),
        "Los municipios son la primera cara del Estado frente a las comunidades, pero los planes de acción "
        "nacionales no llegaban al nivel local.",
        "Desarrollar, junto a municipios que lo pidieron, un Modelo de Gobierno Abierto Municipal y sus "
        "instrumentos: la primera apertura de los planes de acción nacionales al nivel local.", (T, P, R, C),
        starts_on=date(2016, 11, 1), ends_on=date(2018, 6, 30)),
)

# Renca: a commitment drafted from each of its first proposals in these areas.
RENCA = {
    texts.LOCAL_AREAS[0]: ("Portal de contratos y subvenciones municipales en datos abiertos",
                           "Publicar cada mes los contratos, las obras y las subvenciones del municipio en formato "
                           "abierto, con buscador y lenguaje claro.", (T,)),
    texts.LOCAL_AREAS[1]: ("Cuenta pública participativa por territorio",
                           "Realizar la cuenta pública en cada territorio de la comuna, con preguntas de los vecinos "
                           "respondidas por escrito.", (R, P)),
    texts.LOCAL_AREAS[2]: ("Presupuestos participativos en las unidades vecinales",
                           "Destinar una parte del presupuesto de inversión a proyectos votados por los vecinos de "
                           "cada unidad vecinal.", (P,)),
    texts.LOCAL_AREAS[3]: ("Mesa permanente con las juntas de vecinos",
                           "Crear una mesa permanente con las juntas de vecinos y las organizaciones de la comuna "
                           "para seguir el plan de acción.", (C, P)),
}


def drafting_span(cycle, phase):
    """When systematisation can work: from its opening until it closes or the consultation opens."""
    consultation = cycle.phase(PhaseKind.CONSULTATION)
    closes = min(phase.closes_at, consultation.opens_at) if consultation else phase.closes_at
    return phase.opens_at, closes


def at_fraction(span, fraction: float):
    opens, closes = span
    return opens + (closes - opens) * fraction


def _origins(demo: Demo, cycle, spec: CommitmentSpec) -> list:
    topics = demo.shared.get("topics", {})
    duplicates = {copy.id for kind in ("duplicates", "sent twice")
                  for _original, copy in demo.shared.get(f"{cycle.code} {kind}", ())}
    found = [proposal for proposal in db.session.scalars(proposals.received(cycle, state=ProposalState.SUBMITTED))
             if topics.get(proposal.id) in spec.topics and proposal.id not in duplicates]
    return found[:ORIGINS_MAX]


def _create(demo: Demo, cycle, spec: CommitmentSpec, moderator) -> None:
    commitment = commitments.create_commitment(
        cycle, number=spec.number, name=spec.name, area=_area(cycle, spec.area), entity=demo.entities[spec.entity],
        starts_on=spec.starts_on, ends_on=spec.ends_on, problem=spec.problem, commitment_text=spec.text,
        contribution=spec.contribution, values=spec.values, from_proposals=_origins(demo, cycle, spec),
        actor=moderator)
    for name, starts_on, ends_on in spec.activities:
        commitments.add_activity(commitment, name=name, starts_on=starts_on, ends_on=ends_on, actor=moderator)


def _area(cycle, name):
    return next(area for area in proposals.areas(cycle) if area.name == name)


def _national_plan(demo: Demo, cycle, phase, specs) -> None:
    rng = random.Random(sum(spec.number for spec in specs))
    moderator = demo.users["moderacion"]
    span = drafting_span(cycle, phase)
    timeline = Timeline()
    for index, spec in enumerate(specs):
        moment = at_fraction(span, 0.2 + 0.35 * index / len(specs)) + timedelta(minutes=rng.randrange(240))
        timeline.at(moment, lambda spec=spec: _create(demo, cycle, spec, moderator))
    timeline.play()


def _renca(demo: Demo, cycle, phase) -> None:
    moderator = demo.users["moderacion_renca"]
    implementation = cycle.phase(PhaseKind.IMPLEMENTATION)
    tz = cycle.jurisdiction.timezone
    starts_on = to_local(implementation.opens_at, tz).date()
    ends_on = to_local(implementation.closes_at, tz).date() - timedelta(days=1)
    received = db.session.scalars(proposals.received(cycle, state=ProposalState.SUBMITTED)).all()
    chosen = list({proposal.area.name: proposal for proposal in reversed(received)}.values())[:2]
    timeline = Timeline()
    for number, proposal in enumerate(sorted(chosen, key=lambda p: p.number), start=1):
        name, text, values = RENCA[proposal.area.name]
        timeline.at(at_fraction(drafting_span(cycle, phase), 0.2 + 0.1 * number), lambda number=number,
                    proposal=proposal, name=name, text=text, values=values: commitments.create_commitment(
                        cycle, number=number, name=name, area=proposal.area, entity=demo.entities["Municipalidad de Renca"],
                        starts_on=starts_on, ends_on=ends_on, problem=commitments.starting_text([proposal])["problem"],
                        commitment_text=text, contribution="", values=values, from_proposals=[proposal],
                        actor=moderator))
    timeline.play()


@during(PhaseKind.SYSTEMATISATION)
def draft_the_plan(demo: Demo, cycle, phase) -> None:
    if cycle.code == "REN1":
        _renca(demo, cycle, phase)
    else:
        _national_plan(demo, cycle, phase, {"PA3": THIRD_PLAN, "PA4": FOURTH_PLAN}[cycle.code])
    demo.log(f"commitments: {cycle.code} {len(commitments.plan(cycle))} in the plan")
