"""The Mesa de Gobierno Abierto: formalised by Resolución Exenta N° 852 of 31 July 2017 (Ministerio
Secretaría General de la Presidencia), with four seats — the chair from SEGPRES, civil society,
academia and an international organisation — held by the demo's Mesa accounts. It reviews the 4th
plan in two meetings (observations answered; the second approves the frozen version with an act every
member present confirms), and the plan is then published.

The 3rd plan was approved before the Mesa was formalised: it has no act here, and stays unpublished.
"""
from datetime import date, datetime, time, timedelta

from consulta.commitments import services as commitments
from consulta.core import clock
from consulta.core.windows import local_to_utc, to_local
from consulta.cycles.models import PhaseKind
from consulta.demo.base import NATIONAL_SLUG
from consulta.demo.loader import Demo, during, step
from consulta.demo.timeline import Timeline
from consulta.mesa import services as mesa
from consulta.mesa.models import Decision, MesaSector, Vote

FORMALISED_ON = date(2017, 7, 31)
ACT_NUMBER = "Resolución Exenta N° 852"
RULES = ("<p>La Mesa de Gobierno Abierto es la instancia multiactor que acompaña la elaboración, la "
         "implementación y el seguimiento de los planes de acción de Chile ante la Alianza para el Gobierno "
         "Abierto.</p><ul><li>Sesiona al menos cada seis meses; sus actas son públicas.</li><li>Sus integrantes "
         "revisan cada borrador de plan, formulan observaciones y aprueban la versión final.</li><li>Los acuerdos "
         "se adoptan por mayoría de los integrantes presentes.</li></ul>")
DESIGNATION = f"{ACT_NUMBER}, de 31 de julio de 2017, del Ministerio Secretaría General de la Presidencia"
# account key, sector, the body the seat represents, chairs
SEATS = (
    ("mesa_presidencia", MesaSector.GOVERNMENT, "Ministerio Secretaría General de la Presidencia", True),
    ("mesa_sociedad_civil", MesaSector.CIVIL_SOCIETY, "Organizaciones de la sociedad civil", False),
    ("mesa_academia", MesaSector.ACADEMIA, "Red Académica de Gobierno Abierto", False),
    ("mesa_internacional", MesaSector.INTERNATIONAL, "Programa de las Naciones Unidas para el Desarrollo", False),
)
# Who is absent from the approval meeting: the act waits only for those present.
ABSENT_AT_APPROVAL = "mesa_internacional"
OBSERVATIONS = (
    ("mesa_sociedad_civil", 4, "Pedimos que el compromiso N° 4 fije una meta de municipios de regiones alejadas de "
                               "la capital, y no solo un énfasis.",
     "El Consejo para la Transparencia fijará la meta en el primer informe de avance, junto a la Mesa."),
    ("mesa_academia", None, "Varios compromisos no tienen indicadores de resultado: proponemos que cada uno "
                            "publique al menos uno.",
     "Cada institución responsable publicará un indicador de resultado en su primer informe de avance."),
    ("mesa_internacional", 12, "Recomendamos publicar los datos OCDS con la frecuencia que exige el estándar.",
     "ChileCompra publicará los datos con actualización diaria, como recomienda el estándar."),
)


def _on(day: date, hour: int, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour)), tz)


def _mesa_cycle(cycle) -> bool:
    """Only plans reviewed after the Mesa was formalised (the national ones from 2018)."""
    review = cycle.phase(PhaseKind.MESA_REVIEW)
    tz = cycle.jurisdiction.timezone
    return (mesa.forum_of(cycle.jurisdiction) is not None and review is not None
            and to_local(review.opens_at, tz).date() > FORMALISED_ON)


@step
def the_forum(demo: Demo) -> None:
    national = demo.jurisdictions[NATIONAL_SLUG]
    admin = demo.users["admin"]
    clock.set_now(_on(FORMALISED_ON, 11, national.timezone))
    forum = mesa.create_forum(national, name="Mesa de Gobierno Abierto", act_number=ACT_NUMBER,
                              act_date=FORMALISED_ON, rules=RULES, actor=admin)
    for key, sector, organisation, chairs in SEATS:
        mesa.add_seat(forum, sector=sector, holder=demo.users[key], designated_on=FORMALISED_ON,
                      designation=DESIGNATION, organisation=organisation, chairs=chairs, actor=admin)
    demo.log(f"mesa: {forum.name} ({ACT_NUMBER}), {len(SEATS)} seats")


@during(PhaseKind.MESA_REVIEW)
def review(demo: Demo, cycle, phase) -> None:
    if not _mesa_cycle(cycle):
        return
    forum = mesa.forum_of(cycle.jurisdiction)
    tz = cycle.jurisdiction.timezone
    moderator = demo.users["moderacion"]
    seats = {seat.holder_id: seat for seat in mesa.current_seats(forum)}
    seat_of = {key: seats[demo.users[key].id] for key, *_rest in SEATS}
    version = commitments.latest_version(cycle)
    first = to_local(phase.opens_at, tz).date() + timedelta(days=3)
    second = to_local(phase.closes_at, tz).date() - timedelta(days=8)
    present = [seat for key, seat in seat_of.items() if key != ABSENT_AT_APPROVAL]
    made = {}
    timeline = Timeline()
    timeline.at(_on(first, 18, tz), lambda: mesa.record_meeting(
        forum, held_on=first, cycle=cycle, present=list(seat_of.values()), actor=moderator,
        agenda=f"Presentación del borrador del {cycle.name} y de los resultados de la consulta pública.",
        minutes="La Secretaría Ejecutiva presentó el borrador, las respuestas a las propuestas y a los comentarios "
                "de la consulta. Los integrantes formularon observaciones en la plataforma.",
        decisions="Responder las observaciones antes de la sesión de aprobación."))
    for index, (key, number, body, reply) in enumerate(OBSERVATIONS):
        observed = _on(first + timedelta(days=1 + index), 10, tz)
        timeline.at(observed, lambda key=key, number=number, body=body: made.setdefault("observations", []).append(
            mesa.observe(version, body=body, commitment_number=number, actor=demo.users[key])))
        timeline.at(observed + timedelta(days=5), lambda index=index, reply=reply: mesa.answer_observation(
            made["observations"][index], answer=reply, actor=moderator))
    timeline.at(_on(second, 18, tz), lambda: made.update(meeting=mesa.record_meeting(
        forum, held_on=second, cycle=cycle, present=present, actor=moderator,
        agenda=f"Aprobación de la versión {version.number} del {cycle.name}.",
        minutes="Se revisaron las respuestas a las observaciones. La Mesa aprobó el plan por unanimidad de los "
                "presentes.", decisions=f"Aprobar la versión {version.number} del plan.")))
    timeline.at(_on(second, 19, tz), lambda: made.update(act=mesa.record_act(
        made["meeting"], version=version, decision=Decision.APPROVED, votes={seat: Vote.FOR for seat in present},
        actor=moderator)))
    for index, seat in enumerate(present):
        timeline.at(_on(second + timedelta(days=1 + index), 12, tz), lambda seat=seat: mesa.confirm_act(
            made["act"], actor=seat.holder))
    timeline.play()
    demo.log(f"mesa: {cycle.code} {len(mesa.meetings_of_cycle(cycle))} meetings, act {made['act'].state.name}")


@during(PhaseKind.PUBLICATION)
def publish(demo: Demo, cycle, phase) -> None:
    if not _mesa_cycle(cycle):
        return
    version = commitments.latest_version(cycle)
    clock.set_now(phase.opens_at + timedelta(hours=14))
    mesa.publish(version, actor=demo.users["moderacion"])
    demo.log(f"mesa: {cycle.code} version {version.number} published")
