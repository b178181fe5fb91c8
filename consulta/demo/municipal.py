"""The Municipal Open Government Model: the diagnostic questionnaire the national body published,
the seed's municipalities (the six that built the Model, Providencia added later, Renca with its
local plan) each invited, adhered by its mayor's act and diagnosed, and four municipalities of
regions far from the capital at earlier states; two of Renca's organisations answer the short
version of its diagnostic, and the national body's sessions have their attendance lists (one with
people registered ahead and checked in on the day). Every date is in the past of its moment."""
import random
from dataclasses import dataclass
from datetime import date

from consulta.demo.loader import Demo, step
from consulta.demo.people import FIRST_NAMES, SURNAMES
from consulta.demo.timeline import Timeline, local_moment
from consulta.municipal import services as municipal
from consulta.municipal.models import ActivityKind, AdhesionState, Area

SEED = 2017
TZ = "America/Santiago"
PUBLISHED_ON = date(2017, 4, 10)

# area -> (question, scale maximum, weight, evidence asked)
QUESTIONS = {
    Area.TRANSPARENCY: (
        ("¿El municipio publica la información de transparencia activa completa y actualizada cada mes?", 4, 2,
         "Enlace al portal de transparencia activa"),
        ("¿Responde las solicitudes de acceso a la información dentro del plazo legal?", 4, 2,
         "Porcentaje de solicitudes respondidas en plazo el último año"),
        ("¿Publica datos en formatos abiertos y reutilizables?", 4, 1, "Enlace al catálogo de datos"),
    ),
    Area.ACCOUNTABILITY: (
        ("¿La cuenta pública anual permite preguntas y observaciones de la comunidad?", 4, 2,
         "Acta o registro de la última cuenta pública"),
        ("¿El municipio informa el avance de su plan de desarrollo comunal con indicadores?", 4, 1,
         "Documento o sitio con los indicadores"),
        ("¿El concejo municipal publica sus actas y votaciones?", 4, 1, ""),
    ),
    Area.PARTICIPATION: (
        ("¿Existe una ordenanza de participación ciudadana actualizada y aplicada?", 4, 2,
         "Número y fecha de la ordenanza"),
        ("¿El consejo comunal de organizaciones de la sociedad civil sesiona con regularidad?", 4, 1,
         "Sesiones del último año"),
        ("¿Hay instancias de presupuesto participativo o consultas ciudadanas vinculantes?", 4, 2, ""),
    ),
    Area.COLLABORATION: (
        ("¿El municipio trabaja con organizaciones de la sociedad civil en el diseño de sus programas?", 4, 2,
         "Convenios o mesas de trabajo vigentes"),
        ("¿Tiene acuerdos con universidades o centros de estudio para evaluar su gestión?", 4, 1, ""),
        ("¿Abre sus datos o problemas a la innovación ciudadana (laboratorios, desafíos)?", 4, 1, ""),
    ),
}


@dataclass(frozen=True)
class MunicipalitySpec:
    slug: str
    mayor: str
    invited_on: date
    signed_on: date | None = None
    act_number: str = ""
    # Diagnostics: (submitted on, how far along the municipality is, from 0 to 1), in order.
    diagnostics: tuple = ()
    # A diagnostic begun and left as a draft on this date (some answers saved).
    draft_on: date | None = None
    plan_on: date | None = None


# The mayors' names are invented.
MUNICIPALITIES = (
    # The six that built the Model with the Consejo para la Transparencia (3rd plan).
    MunicipalitySpec("cerro-navia", "Marcela Quiroz Aravena", date(2017, 5, 2), date(2017, 6, 14),
                     "Decreto Alcaldicio N° 2.145/2017", ((date(2017, 9, 12), 0.45),)),
    MunicipalitySpec("penalolen", "Rodrigo Espinoza Leiva", date(2017, 5, 2), date(2017, 6, 20),
                     "Decreto Alcaldicio N° 1.870/2017", ((date(2017, 9, 28), 0.6),)),
    MunicipalitySpec("recoleta", "Patricio Salinas Yáñez", date(2017, 5, 2), date(2017, 7, 3),
                     "Decreto Exento N° 3.012/2017", ((date(2017, 10, 5), 0.55),)),
    MunicipalitySpec("santo-domingo", "Gabriel Ossandón Lagos", date(2017, 5, 2), date(2017, 7, 11),
                     "Decreto Alcaldicio N° 415/2017", ((date(2017, 10, 19), 0.35),)),
    MunicipalitySpec("talagante", "Carolina Pavez Ortúzar", date(2017, 5, 2), date(2017, 6, 29),
                     "Decreto Alcaldicio N° 988/2017", ((date(2017, 10, 26), 0.4),)),
    MunicipalitySpec("vitacura", "Ignacio Larraín Cruzat", date(2017, 5, 2), date(2017, 6, 8),
                     "Decreto Alcaldicio N° 5.301/2017", ((date(2017, 9, 5), 0.65), (date(2019, 6, 18), 0.8))),
    # Added later.
    MunicipalitySpec("providencia", "Verónica Echeverría Prieto", date(2018, 4, 2), date(2018, 5, 15),
                     "Decreto Alcaldicio N° 1.102/2018", ((date(2018, 9, 20), 0.6),)),
    # With its Plan de Acción Comunal de Gobierno Abierto: the demo's current cycle.
    MunicipalitySpec("renca", "Andrés Valdivia Castro", date(2018, 3, 5), date(2018, 4, 20),
                     "Decreto Alcaldicio N° 2.530/2018", ((date(2018, 8, 10), 0.5),), plan_on=date(2019, 3, 15)),
    # Regions far from the capital, joining through the 4th plan's commitment N° 4.
    MunicipalitySpec("arica", "Jorge Choque Rojas", date(2019, 6, 3)),
    MunicipalitySpec("antofagasta", "Karina Araya Venegas", date(2019, 5, 20), date(2019, 8, 12),
                     "Decreto Alcaldicio N° 1.318/2019"),
    MunicipalitySpec("coyhaique", "Mario Ojeda Canuman", date(2019, 5, 20), date(2019, 7, 1),
                     "Decreto Alcaldicio N° 2.004/2019", draft_on=date(2019, 9, 2)),
    MunicipalitySpec("punta-arenas", "Claudia Radić Jiménez", date(2019, 5, 13), date(2019, 6, 17),
                     "Decreto Alcaldicio N° 3.377/2019", ((date(2019, 10, 30), 0.3),)),
)

# The first question of each area is also in the short version local organisations answer.
SHORT_POSITION = 0

# Renca's organisations answering the short version of its diagnostic: (organisation, day, how far along
# they see the municipality, from 0 to 1).
LOCAL_RESPONSES = (
    ("tribu", date(2018, 8, 24), 0.35),
    ("junta_huamachuco", date(2018, 8, 29), 0.45),
)

# A session announced ahead: who registered (their accounts), who of them came, and who came unannounced.
WORKSHOP = {
    "slug": "renca", "announced_on": date(2019, 3, 25), "held_on": date(2019, 4, 9),
    "topic": "Seguimiento del plan de acción comunal: cómo informar avances",
    "registered": ("admin_renca", "moderacion_renca", "tribu", "konrad_adenauer", "junta_huamachuco"),
    "absent": ("junta_huamachuco",),
    "walk_ins": (("Rosa Catalán Muñoz", "Consejo Comunal de Organizaciones de la Sociedad Civil"),),
}

# (municipality, kind, held on, topic, how many attended: the sign-in sheet, recorded afterwards)
SUPPORT = (
    ("renca", ActivityKind.TRAINING, date(2018, 11, 6), "Diseño participativo del plan de acción comunal", 18),
    ("punta-arenas", ActivityKind.TRAINING, date(2019, 7, 15), "Uso del instrumento de diagnóstico", 14),
    ("coyhaique", ActivityKind.ADVISORY_VISIT, date(2019, 8, 20), "Asesoría para completar el diagnóstico", 6),
    ("antofagasta", ActivityKind.TRAINING, date(2019, 9, 3), "Difusión del Modelo y sus instrumentos", 22),
)


def _questionnaire(demo: Demo, timeline: Timeline) -> None:
    admin = demo.users["admin"]
    made = {}

    def draft():
        made["version"] = municipal.create_questionnaire_version(
            title="Instrumento de diagnóstico del Modelo de Gobierno Abierto Municipal", actor=admin)
        for area, questions in QUESTIONS.items():
            for position, (text, scale_max, weight, evidence) in enumerate(questions):
                municipal.add_question(made["version"], area=area, text=text, scale_max=scale_max, weight=weight,
                                       evidence_prompt=evidence, short=position == SHORT_POSITION, actor=admin)

    timeline.at(local_moment(date(2017, 4, 3), 10, 0, TZ), draft)
    timeline.at(local_moment(PUBLISHED_ON, 12, 0, TZ),
                lambda: municipal.publish_version(made["version"], actor=admin, reason="Versión validada con los "
                                                  "municipios que construyeron el Modelo."))


def _answers(rng: random.Random, diagnostic, level: float, *, share: float = 1.0) -> dict:
    answers = {}
    for question in diagnostic.version.questions:
        if rng.random() > share:
            continue
        value = max(0, min(question.scale_max, round(level * question.scale_max + rng.uniform(-1.2, 1.2))))
        evidence = "Publicado en el sitio web municipal." if question.evidence_prompt and value >= 3 else ""
        answers[question.id] = (value, evidence)
    return answers


def _diagnose(rng: random.Random, jurisdiction, admin, level: float, *, submit: bool = True) -> None:
    diagnostic = municipal.start_diagnostic(jurisdiction, actor=admin)
    municipal.save_answers(diagnostic, _answers(rng, diagnostic, level, share=1.0 if submit else 0.5),
                           actor=admin, submit=submit)


def _municipality(demo: Demo, spec: MunicipalitySpec, rng: random.Random, timeline: Timeline) -> None:
    jurisdiction = demo.jurisdictions[spec.slug]
    admin = demo.users[f"admin_{spec.slug}"]
    national = demo.users["admin"]
    timeline.at(local_moment(spec.invited_on, 11, 0, TZ),
                lambda: municipal.invite(jurisdiction, actor=national, reason="Invitación a adherir al Modelo."))
    if spec.signed_on is None:
        return
    timeline.at(local_moment(spec.signed_on, 17, 30, TZ), lambda: municipal.record_adhesion(
        jurisdiction, mayor_name=spec.mayor, signed_on=spec.signed_on, act_number=spec.act_number, actor=admin))
    for submitted_on, level in spec.diagnostics:
        timeline.at(local_moment(submitted_on, 16, 0, TZ),
                    lambda level=level: _diagnose(rng, jurisdiction, admin, level))
    if spec.draft_on is not None:
        timeline.at(local_moment(spec.draft_on, 16, 0, TZ),
                    lambda: _diagnose(rng, jurisdiction, admin, 0.3, submit=False))
    if spec.plan_on is not None:
        timeline.at(local_moment(spec.plan_on, 12, 0, TZ), lambda: municipal.advance_adhesion(
            municipal.adhesion_of(jurisdiction), AdhesionState.WITH_PLAN, actor=admin,
            reason="Plan de Acción Comunal de Gobierno Abierto aprobado por el concejo municipal."))


def _support(demo: Demo, rng: random.Random, timeline: Timeline) -> None:
    for slug, kind, held_on, topic, count in SUPPORT:
        attendees = [(f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", "Funcionario municipal")
                     for _ in range(count)]
        timeline.at(local_moment(held_on, 18, 0, TZ), lambda slug=slug, kind=kind, held_on=held_on, topic=topic,
                    attendees=attendees: municipal.record_training(
                        demo.jurisdictions[slug], kind=kind, held_on=held_on, topic=topic, attendees=attendees,
                        actor=demo.users["moderacion"]))


def _local_responses(demo: Demo, rng: random.Random, timeline: Timeline) -> None:
    renca = demo.jurisdictions["renca"]

    def answer(key, level):
        diagnostic = municipal.submitted_diagnostics(renca)[0]
        person = demo.representatives[key]
        response = municipal.start_local_response(diagnostic, organisation=demo.organisations[key], actor=person)
        values = {question_id: value for question_id, (value, _evidence) in _answers(rng, diagnostic, level).items()}
        short = {question.id for question in diagnostic.version.short_questions}
        municipal.save_local_answers(response, {question_id: values[question_id] for question_id in short},
                                     actor=person, submit=True)

    for key, day, level in LOCAL_RESPONSES:
        timeline.at(local_moment(day, 19, 0, TZ), lambda key=key, level=level: answer(key, level))


def _workshop(demo: Demo, timeline: Timeline) -> None:
    """Announced ahead, registered for by the people themselves, checked in at the door."""
    staff = demo.users["moderacion"]
    people = [demo.users.get(key) or demo.representatives[key] for key in WORKSHOP["registered"]]
    made = {}

    def announce():
        made["session"] = municipal.record_training(
            demo.jurisdictions[WORKSHOP["slug"]], kind=ActivityKind.TRAINING, held_on=WORKSHOP["held_on"],
            topic=WORKSHOP["topic"], actor=staff)

    def check_in():
        session = made["session"]
        absent = {demo.users.get(key) or demo.representatives[key] for key in WORKSHOP["absent"]}
        for attendee in list(session.attendees):
            if attendee.user not in absent:
                municipal.check_in(attendee, actor=staff)
        for name, affiliation in WORKSHOP["walk_ins"]:
            municipal.walk_in(session, name=name, affiliation=affiliation, actor=staff)

    timeline.at(local_moment(WORKSHOP["announced_on"], 10, 0, TZ), announce)
    for day, person in enumerate(people, start=1):
        timeline.at(local_moment(WORKSHOP["announced_on"], 10 + day, 0, TZ),
                    lambda person=person: municipal.register_attendee(made["session"], user=person, actor=person))
    timeline.at(local_moment(WORKSHOP["held_on"], 18, 30, TZ), check_in)


@step
def municipal_model(demo: Demo) -> None:
    rng = random.Random(SEED)
    timeline = Timeline()
    _questionnaire(demo, timeline)
    for spec in MUNICIPALITIES:
        _municipality(demo, spec, rng, timeline)
    _support(demo, rng, timeline)
    # A generator of their own, so that the diagnostics' answers stay as they were.
    _local_responses(demo, random.Random(SEED + 1), timeline)
    _workshop(demo, timeline)
    timeline.play()
    states = {}
    for spec in MUNICIPALITIES:
        state = municipal.adhesion_of(demo.jurisdictions[spec.slug]).state
        states[state.name] = states.get(state.name, 0) + 1
    demo.log("municipal model: " + ", ".join(f"{count} {name.lower()}" for name, count in sorted(states.items()))
             + f"; {len(LOCAL_RESPONSES)} local organisations answered Renca's short version; "
             + f"{sum(activity.attendance for activity in municipal.support_activities())} people checked in "
             + "at training and advice")
