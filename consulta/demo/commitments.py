"""The plans' commitments, drafted during systematisation from the proposals they came from: the 4th
plan's twelve exactly as the seed lists them (area, name, N°, responsible entity), N° 4 with its
"¿Cuál es el compromiso?" and its four activities and dates from the seed (the seed gives no other
commitment's activities: theirs are plausible ones, for the monitoring demo); the 3rd plan's N° 15 (the
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
        "cursos abiertos y evaluación de resultados.", (T, R),
        activities=(
            ("Diagnóstico de la oferta de formación en probidad e integridad en los servicios públicos.",
             date(2018, 12, 1), date(2019, 5, 31)),
            ("Diseño del Plan Nacional de formación cívica en integridad, validado con las asociaciones de "
             "funcionarios.", date(2019, 4, 1), date(2019, 10, 31)),
            ("Cursos abiertos en línea para funcionarios públicos y evaluación de sus resultados.",
             date(2019, 9, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        2, A[1], "Formación en Gobierno Abierto", "Biblioteca del Congreso Nacional", ((A[2], 5),),
        "La ciudadanía y los funcionarios conocen poco los principios y herramientas del gobierno abierto.",
        "Desarrollar programas de formación en gobierno abierto para la ciudadanía, dirigentes sociales y "
        "funcionarios, presenciales y en línea.", (P, C),
        activities=(
            ("Diseño de los contenidos del programa de formación en gobierno abierto para la ciudadanía, "
             "dirigentes sociales y funcionarios.", date(2018, 12, 1), date(2019, 4, 30)),
            ("Talleres presenciales en regiones con dirigentes sociales y funcionarios municipales.",
             date(2019, 5, 1), date(2019, 12, 31)),
            ("Curso en línea abierto y masivo sobre gobierno abierto, con certificación.",
             date(2019, 6, 1), date(2020, 6, 30)),
        )),
    CommitmentSpec(
        3, A[2], "Justicia Abierta en la Defensoría Penal Pública", "Defensoría Penal Pública", ((A[2], 1),),
        "Las personas imputadas y sus familias no comprenden las resoluciones ni el estado de sus causas.",
        "Abrir información de la defensa penal en lenguaje claro y crear mecanismos de participación de los "
        "usuarios en la mejora del servicio.", (T, P),
        activities=(
            ("Publicación en lenguaje claro de la información de la defensa penal en el sitio de la Defensoría.",
             date(2018, 12, 1), date(2019, 8, 31)),
            ("Creación de un consejo de usuarios y usuarias, con participación de familiares de las personas "
             "imputadas.", date(2019, 3, 1), date(2019, 12, 31)),
            ("Sistema de consulta del estado de sus causas para las personas imputadas.",
             date(2019, 9, 1), date(2020, 7, 31)),
        )),
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
        "formación de funcionarios y canales accesibles.", (P, C),
        activities=(
            ("Protocolo de atención inclusiva para personas sordas, con discapacidad o hablantes de lenguas "
             "originarias.", date(2018, 12, 1), date(2019, 6, 30)),
            ("Formación de funcionarios de atención de público en lengua de señas y atención inclusiva.",
             date(2019, 7, 1), date(2020, 6, 30)),
            ("Habilitación de canales accesibles en las oficinas de atención ciudadana.",
             date(2019, 10, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        6, A[3], "Plan estratégico para el fortalecimiento del Sistema de Integridad Pública",
        "Dirección Nacional del Servicio Civil", ((A[3], 6), (A[3], 4)),
        "Los códigos de ética de los servicios no tienen seguimiento ni indicadores comparables.",
        "Elaborar e implementar un plan estratégico del Sistema de Integridad Pública, con indicadores públicos y "
        "participación de las asociaciones de funcionarios.", (T, R),
        activities=(
            ("Levantamiento de los códigos de ética de los servicios y de sus mecanismos de seguimiento.",
             date(2018, 12, 1), date(2019, 6, 30)),
            ("Elaboración participativa del plan estratégico con las asociaciones de funcionarios.",
             date(2019, 5, 1), date(2019, 12, 31)),
            ("Publicación de indicadores de integridad comparables entre servicios.",
             date(2020, 1, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        7, A[3], "Plan de difusión y seguimiento en Chile de los Objetivos de Desarrollo Sostenible y su "
                 "vinculación con políticas públicas", "Contraloría General de la República",
        ((A[3], 7), (A[0], 7)),
        "No existe un seguimiento público de los ODS vinculado al presupuesto y a las políticas públicas.",
        "Difundir los Objetivos de Desarrollo Sostenible y publicar su seguimiento, vinculado a las políticas "
        "públicas y a la fiscalización.", (T, R),
        activities=(
            ("Campaña de difusión de los Objetivos de Desarrollo Sostenible en los servicios públicos y "
             "municipios.", date(2018, 12, 1), date(2019, 9, 30)),
            ("Tablero público de seguimiento de los ODS vinculado a la fiscalización y al presupuesto.",
             date(2019, 6, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        8, A[0], "Gestión de recursos hídricos", "Dirección General de Aguas – Ministerio de Obras Públicas",
        ((A[0], 0), (A[0], 2)),
        "La información sobre derechos de agua y el estado de las cuencas está dispersa y no es reutilizable.",
        "Publicar en formato abierto la información de derechos de aprovechamiento de aguas y de monitoreo de "
        "cuencas, y abrir instancias de participación en su gestión.", (T, P),
        activities=(
            ("Publicación en formato abierto del registro de derechos de aprovechamiento de aguas.",
             date(2018, 12, 1), date(2019, 7, 31)),
            ("Publicación en línea de los datos de monitoreo de cuencas: caudales, niveles y calidad del agua.",
             date(2019, 3, 1), date(2019, 12, 31)),
            ("Mesas participativas de gestión de cuencas en tres regiones.", date(2019, 8, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        9, A[2], "Fortalecimiento de los Consejos de la Sociedad Civil y otros mecanismos de participación "
                 "ciudadana en la gestión pública",
        "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno", ((A[2], 3), (A[1], 6)),
        "Los consejos de la sociedad civil no reciben respuesta a sus propuestas ni tienen incidencia real.",
        "Fortalecer los Consejos de la Sociedad Civil y otros mecanismos de participación, con estándares mínimos, "
        "formación y seguimiento público de sus recomendaciones.", (P, R),
        activities=(
            ("Estándares mínimos de funcionamiento de los Consejos de la Sociedad Civil.",
             date(2018, 12, 1), date(2019, 5, 31)),
            ("Programa de formación para consejeros y consejeras de la sociedad civil.",
             date(2019, 6, 1), date(2020, 3, 31)),
            ("Seguimiento público de las recomendaciones de los consejos y de las respuestas de los servicios.",
             date(2019, 10, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        10, A[3], "Política de Datos Abiertos y Protección de Datos", "Consejo para la Transparencia",
        ((A[2], 4), (A[1], 1)),
        "Los servicios publican datos sin estándares comunes y sin resguardos para los datos personales.",
        "Proponer una política de datos abiertos y protección de datos personales para los órganos del Estado.",
        (T, C),
        activities=(
            ("Diagnóstico de la publicación de datos y de la protección de datos personales en los órganos del "
             "Estado.", date(2018, 12, 1), date(2019, 8, 31)),
            ("Propuesta de política de datos abiertos y protección de datos, consultada con la sociedad civil.",
             date(2019, 6, 1), date(2020, 6, 30)),
        )),
    CommitmentSpec(
        11, A[3], "Construir colaborativamente una propuesta de política sobre creación de un registro de dueños "
                  "reales (beneficiarios finales - BF) de empresas", "Unidad de Análisis Financiero", ((A[3], 0),),
        "No se sabe quiénes son los dueños reales de las empresas que contratan con el Estado.",
        "Construir con la sociedad civil, la academia y el sector privado una propuesta de política para un "
        "registro de beneficiarios finales de empresas.", (T, C),
        activities=(
            ("Mesas de trabajo con la sociedad civil, la academia y el sector privado sobre beneficiarios "
             "finales.", date(2018, 12, 1), date(2019, 9, 30)),
            ("Propuesta de política para un registro de beneficiarios finales de empresas.",
             date(2019, 10, 1), date(2020, 8, 31)),
        )),
    CommitmentSpec(
        12, A[3], "Implementación del Estándar Internacional de Datos de Contratación Abierta - OCDS (Open "
                  "Contracting Data Standard)", "Dirección de Compras y Contratación Pública (ChileCompra)",
        ((A[3], 1),),
        "La información de compras públicas no sigue un estándar internacional reutilizable.",
        "Publicar los datos de las compras públicas bajo el estándar OCDS y promover su uso por la ciudadanía.",
        (T, R, C),
        activities=(
            ("Publicación de los datos de compras públicas bajo el estándar OCDS.",
             date(2018, 12, 1), date(2019, 6, 30)),
            ("Herramienta de consulta y visualización de los datos OCDS para la ciudadanía.",
             date(2019, 4, 1), date(2019, 12, 31)),
            ("Talleres de uso de los datos de contratación abierta con periodistas y organizaciones.",
             date(2019, 9, 1), date(2020, 8, 31)),
        )),
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
