"""The public consultation on each plan's draft: the 4th plan's 73 comments (on the plan as a whole
and on its commitments, N° 4 among them, with replies, a campaign of near-identical comments on N° 8
and one comment hidden, appealed and shown again), the 3rd plan's 9, and a few in Renca's open
consultation. Each is posted, moderated and answered through the consultation's services, with the
clock at the moment it happened.

Every comment of the past plans is answered inside the window: the Mesa's review cannot open while
one is pending. A moderator's reply is posted too: it is not counted among the comments received.
"""
import random
from dataclasses import dataclass
from datetime import timedelta

from consulta.consultation import services as consultation
from consulta.consultation.models import Alignment, AnswerOutcome, ReportReason
from consulta.core.sectors import Sector
from consulta.cycles.models import PhaseKind
from consulta.demo import texts
from consulta.demo.loader import Demo, during
from consulta.demo.timeline import Timeline, moments

SEED = 2018917


@dataclass(frozen=True)
class ConsultationSpec:
    # (commitment number or None for the plan as a whole, how many comments)
    targets: tuple
    replies: int
    # (commitment number, copies) of a campaign, or None
    campaign: tuple | None = None
    # a comment is reported, hidden, appealed and shown again
    hidden: bool = False
    # Renca's consultation is still open: only its first comments are answered yet
    answered: int | None = None


# 4th plan: 57 comments + a campaign of 8 + 8 replies = 73. 3rd plan: 8 comments + 1 reply = 9.
SPECS = {
    "PA4": ConsultationSpec(
        targets=((None, 14), (4, 12), (1, 3), (2, 3), (3, 3), (5, 3), (6, 3), (7, 3), (8, 3), (9, 3), (10, 3),
                 (11, 2), (12, 2)),
        replies=8, campaign=(8, 8), hidden=True),
    "PA3": ConsultationSpec(targets=((None, 6), (15, 2)), replies=1),
    "REN1": ConsultationSpec(targets=((None, 2), (1, 1), (2, 1)), replies=1, answered=3),
}

DETAILS = (
    "Lo decimos desde la experiencia de nuestra comunidad.",
    "Es clave para que el compromiso se pueda evaluar al final del plan.",
    "Sin esto, el compromiso corre el riesgo de quedarse en el papel.",
    "Pedimos que la respuesta quede publicada junto al plan.",
    "Ofrecemos colaborar en la implementación.",
    "Nos preocupa que se repita lo ocurrido en planes anteriores.",
)
REPLIES = (
    "Coincido con este comentario y agrego que los avances deberían informarse cada seis meses.",
    "No estoy de acuerdo: el plazo propuesto es razonable para una institución pequeña.",
    "Muy de acuerdo. En regiones esto se nota todavía más.",
    "Sumo que la información debería estar también en lenguaje claro.",
)
CAMPAIGN = ("Pedimos que la información sobre derechos de agua y el estado de las cuencas se publique en formato "
            "abierto, por cuenca y cada mes, y que las comunidades afectadas participen en su gestión.")
CAMPAIGN_SIGN_OFFS = ("", " Saludos.", " Gracias.", " Atentamente.")
N4_QUOTE = "con especial énfasis en la incorporación de municipios de regiones alejadas de la capital"
OFF_TOPIC_LOOKING = ("Vivo en Aysén y en mi comuna nadie sabe qué es el gobierno abierto. Si el plan no llega "
                     "a nosotros, de nada sirve.")
APPEAL = ("Mi comentario es sobre el plan: pide que llegue a las comunas de regiones. No es un reclamo "
          "particular.")
APPEAL_GRANTED = "Tiene razón: el comentario se refiere al alcance territorial del plan. Se vuelve a mostrar."
STAFF_REPLY = ("Gracias por el comentario. El Consejo para la Transparencia publicará el listado de municipios "
               "adheridos durante la implementación.")
ANSWERS = {
    AnswerOutcome.INCORPORADO: "Gracias por su comentario. Lo incorporamos en la versión final del compromiso: {}",
    AnswerOutcome.CONSIDERADO: "Gracias por su comentario. La institución responsable lo tendrá en cuenta durante "
                               "la implementación: {}",
    AnswerOutcome.NO_INCORPORADO: "Gracias por su comentario. No fue incorporado, porque excede lo que la "
                                  "institución puede comprometer en este período: {}",
}
CAMPAIGN_ANSWER = ("Gracias a cada una de las personas que enviaron este comentario. La Dirección General de "
                   "Aguas publicará los datos por cuenca en formato abierto; la frecuencia mensual se evaluará "
                   "durante la implementación.")
OUTCOME_WEIGHTS = {AnswerOutcome.CONSIDERADO: 5, AnswerOutcome.INCORPORADO: 2, AnswerOutcome.NO_INCORPORADO: 3}


def _target(cycle, number):
    return consultation.plan_target(cycle) if number is None else consultation.commitment_target(cycle, number)


def _voices(demo: Demo, rng: random.Random) -> list:
    """(author, sector, organisation): mostly people as themselves, some organisations."""
    people = [(person, Sector.CIUDADANIA, None) for person in demo.participants]
    organised = [(demo.representatives[key], organisation.sector, organisation)
                 for key, organisation in demo.organisations.items()
                 if key in demo.representatives and organisation.jurisdiction.is_national]
    voices = rng.sample(people, min(len(people), 90)) + organised
    rng.shuffle(voices)
    return voices


def _texts(rng: random.Random, used: set, target_key) -> str:
    """A comment no other on the same target repeats (an accidental campaign otherwise)."""
    while True:
        text = f"{texts.comment_text(rng)} {rng.choice(DETAILS)}"
        if (target_key, text) not in used:
            used.add((target_key, text))
            return text


def _answer_at(posted, closes):
    return min(posted + timedelta(days=3), closes - timedelta(minutes=1))


def _play(demo: Demo, cycle, phase, spec: ConsultationSpec) -> None:
    rng = random.Random(SEED + cycle.id)
    tz = cycle.jurisdiction.timezone
    moderator = demo.users["moderacion_renca" if cycle.code == "REN1" else "moderacion"]
    # Renca's window is still open: its comments came before the demo is loaded.
    closes = min(phase.closes_at, demo.now - timedelta(hours=1))
    planned = [number for number, count in spec.targets for _ in range(count)]
    rng.shuffle(planned)
    at = moments(rng, phase.opens_at, closes - timedelta(days=1 if spec.answered is None else 0), len(planned), tz,
                 rush=1.5)
    voices = _voices(demo, rng)
    used = set()
    posted = []
    timeline = Timeline()

    def post(number, author, sector, organisation, text, quote=None, part=None):
        comment = consultation.post_comment(
            _target(cycle, number), author=author, text=text, alignment=rng.choice(list(Alignment)), sector=sector,
            organisation=organisation, part=part, quote=quote)
        posted.append(comment)
        return comment

    for index, (number, moment) in enumerate(zip(planned, at)):
        author, sector, organisation = voices[index % len(voices)]
        quoted = number == 4 and not any(n == 4 for n in planned[:index])
        # The first one is what a moderator hides and, on appeal, shows again.
        text = OFF_TOPIC_LOOKING if spec.hidden and index == 0 else _texts(rng, used, number)
        timeline.at(moment, lambda number=number, author=author, sector=sector, organisation=organisation,
                    text=text, quoted=quoted and not (spec.hidden and index == 0): post(
                        number, author, sector, organisation, text,
                        quote=N4_QUOTE if quoted else None, part="commitment" if quoted else None))
    timeline.play()
    top_level = list(posted)

    if spec.campaign:
        number, copies = spec.campaign
        start = at[len(at) // 2]
        campaigners = [voice for voice in voices if voice[2] is None][-copies:]
        for copy, (author, _sector, _organisation) in enumerate(campaigners):
            timeline.at(start + timedelta(hours=3 * copy, minutes=rng.randrange(60)),
                        lambda author=author, copy=copy: posted.append(consultation.post_comment(
                            _target(cycle, number), author=author, alignment=Alignment.A_FAVOR,
                            text=CAMPAIGN + CAMPAIGN_SIGN_OFFS[copy % len(CAMPAIGN_SIGN_OFFS)])))
        timeline.play()

    hidden = top_level[0] if spec.hidden else None
    if hidden is not None:
        _hide_and_appeal(demo, timeline, hidden, moderator, voices)

    parents = [comment for comment in top_level if comment is not hidden]
    for reply in range(spec.replies):
        parent = parents[(reply * 7) % len(parents)]
        moment = min(parent.created_at + timedelta(hours=rng.randint(1, 30)), closes - timedelta(hours=2))
        author = next(person for person, _s, organisation in voices[-1 - reply::-1]
                      if organisation is None and person.id != parent.author_id)
        timeline.at(max(moment, parent.created_at + timedelta(minutes=10)),
                    lambda parent=parent, author=author, reply=reply: posted.append(consultation.post_comment(
                        None, author=author, reply_to=parent, text=REPLIES[reply % len(REPLIES)])))
    n4 = next((comment for comment in top_level if comment.quote), None)
    if n4 is not None:
        timeline.at(n4.created_at + timedelta(hours=20), lambda: consultation.post_comment(
            None, author=moderator, reply_to=n4, text=STAFF_REPLY))
    timeline.play()

    _answer(timeline, posted, spec, moderator, closes, rng)
    demo.log(f"consultation: {cycle.code} {consultation.received_count(cycle)} received, "
             f"{consultation.pending_count(cycle)} pending")


def _hide_and_appeal(demo, timeline, comment, moderator, voices) -> None:
    reporter = next(person for person, _s, organisation in voices
                    if organisation is None and person.id != comment.author_id)
    lodged = []
    timeline.at(comment.created_at + timedelta(hours=2), lambda: consultation.report(
        comment, reporter=reporter, reason=ReportReason.FUERA_DE_TEMA))
    timeline.at(comment.created_at + timedelta(hours=5), lambda: consultation.hide(
        comment, reason=ReportReason.FUERA_DE_TEMA, note="El comentario parece un reclamo particular.",
        actor=moderator))
    timeline.at(comment.created_at + timedelta(days=1), lambda: lodged.append(consultation.appeal(
        comment, text=APPEAL, actor=comment.author)))
    timeline.at(comment.created_at + timedelta(days=2), lambda: consultation.decide_appeal(
        lodged[0], grant=True, reason=APPEAL_GRANTED, actor=consultation.appeal_deciders(lodged[0])[0]))
    timeline.play()


def _answer(timeline, posted, spec, moderator, closes, rng) -> None:
    """Each comment answered a few days after it came (before the window closes); a campaign at once,
    after its last copy."""
    copies = [comment for comment in posted if comment.campaign_of_id is not None]
    leaders = {comment.campaign_of_id for comment in copies}
    alone = [comment for comment in posted if comment.campaign_of_id is None and comment.id not in leaders]
    if spec.answered is not None:
        alone = alone[:spec.answered]
    for comment in alone:
        outcome = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
        text = ANSWERS[outcome].format(rng.choice(texts.COMMENT_ENDINGS))
        timeline.at(_answer_at(comment.created_at, closes), lambda comment=comment, outcome=outcome, text=text:
                    consultation.answer(comment, outcome=outcome, text=text, actor=moderator))
    for leader in {comment.campaign_of_id: comment.campaign_of for comment in copies}.values():
        group = consultation.group_of(leader)
        last = max(member.created_at for member in group.members)
        timeline.at(_answer_at(last + timedelta(days=1), closes), lambda group=group: consultation.answer(
            group, outcome=AnswerOutcome.CONSIDERADO, text=CAMPAIGN_ANSWER, actor=moderator))
    timeline.play()


@during(PhaseKind.CONSULTATION)
def comments(demo: Demo, cycle, phase) -> None:
    _play(demo, cycle, phase, SPECS[cycle.code])
