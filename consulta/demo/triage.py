"""Triage during systematisation: every proposal of the past plans gets a published final outcome
with its reasoned response before the consultation opens (its gate asks for that) — duplicates
merged into the proposal they repeat, what is no proposal at all found not admissible, those the
commitments came from incorporated, the others not taken up with the reason — mostly through the
jurisdiction's answer templates, in bulk. Renca answers the proposals it had when it drafted its plan."""
import random
from datetime import timedelta

from consulta.commitments import services as commitments
from consulta.cycles.models import PhaseKind
from consulta.demo.commitments import at_fraction, drafting_span
from consulta.demo.loader import Demo, during
from consulta.demo.timeline import Timeline
from consulta.extensions import db
from consulta.proposals import services as proposals
from consulta.proposals.models import ProposalState
from consulta.triage import services as triage

# name -> (outcome, text); {autor}, {codigo}, {compromiso} and {propuesta_destino} are filled per proposal.
TEMPLATES = {
    "Incorporada en un compromiso": (
        ProposalState.ACCEPTED,
        "<p>Estimada/o {autor}: gracias por la propuesta {codigo}. Tras las mesas de trabajo y la sistematización, "
        "fue incorporada en el compromiso {compromiso} del plan de acción, que recoge el problema que plantea y "
        "lo convierte en actividades con plazos y una institución responsable.</p>"),
    "Integrada en una propuesta similar": (
        ProposalState.MERGED,
        "<p>Estimada/o {autor}: la propuesta {codigo} plantea lo mismo que {propuesta_destino}. La integramos en "
        "ella para trabajarlas juntas; su autoría y su texto siguen publicados.</p>"),
    "No acogida: sin institución responsable": (
        ProposalState.NOT_ACCEPTED,
        "<p>Estimada/o {autor}: gracias por la propuesta {codigo}. La revisamos junto a las demás de su área y no "
        "fue acogida en este plan: ninguna institución pudo comprometerse a implementarla en su período. Queda "
        "registrada como insumo para el próximo ciclo.</p>"),
    "No acogida: corresponde a una política sectorial": (
        ProposalState.NOT_ACCEPTED,
        "<p>Estimada/o {autor}: gracias por la propuesta {codigo}. El problema que plantea es relevante, pero su "
        "solución corresponde a una política sectorial más que a un compromiso de transparencia, participación o "
        "rendición de cuentas. La enviamos a la institución que nombra para que la considere.</p>"),
}
RENCA_TEMPLATES = {
    "Incorporada en un compromiso": TEMPLATES["Incorporada en un compromiso"],
    "No acogida en este plan": (
        ProposalState.NOT_ACCEPTED,
        "<p>Estimada/o {autor}: gracias por la propuesta {codigo}. El municipio no puede asumirla en este plan "
        "comunal; la mesa de seguimiento la revisará para el próximo.</p>"),
}
SENT_TWICE = ("<p>Recibimos dos veces la misma propuesta: {copy} se integra en {original}, que sigue su curso. "
              "Nada de lo que escribió se pierde.</p>")
NOT_A_PROPOSAL = ("<p>Esta presentación no es una propuesta para el plan de acción: es una solicitud o un reclamo "
                  "particular (o publicidad). Si se trata de un servicio, puede dirigirla a la oficina de "
                  "informaciones, reclamos y sugerencias de la institución.</p>")


def _templates(jurisdiction, wanted: dict, moderator) -> dict:
    """The jurisdiction's answer templates by name, made the first time they are needed."""
    have = {template.name: template for template in triage.templates_of(jurisdiction)}
    for name, (outcome, text) in wanted.items():
        if name not in have:
            have[name] = triage.create_template(jurisdiction, name=name, text=text, outcome=outcome, actor=moderator)
    return have


def _in_bulk(proposals_list, *, template, actor, **targets) -> None:
    if proposals_list:
        triage.bulk_decide(proposals_list, outcome=template.outcome, template=template, actor=actor, **targets)


def _submitted(cycle) -> list:
    return db.session.scalars(proposals.received(cycle, state=ProposalState.SUBMITTED)).all()


def _national(demo: Demo, cycle, phase) -> None:
    rng = random.Random(cycle.id)
    moderator = demo.users["moderacion"]
    span = drafting_span(cycle, phase)
    topics = demo.shared.get("topics", {})
    made = {}
    timeline = Timeline()
    timeline.at(at_fraction(span, 0.05), lambda: made.update(_templates(cycle.jurisdiction, TEMPLATES, moderator)))

    def merge_duplicates():
        for original, copy in demo.shared.get(f"{cycle.code} sent twice", ()):
            triage.merge(copy, into=original, actor=moderator,
                         response=SENT_TWICE.format(copy=copy.reference, original=original.reference))
        for original, copy in demo.shared.get(f"{cycle.code} duplicates", ()):
            _in_bulk([copy], template=made["Integrada en una propuesta similar"], actor=moderator,
                     merged_into=original)

    def not_proposals():
        for proposal in _submitted(cycle):
            if proposal.id in topics and topics[proposal.id][1] is None:
                triage.decide(proposal, outcome=ProposalState.INADMISSIBLE, response=NOT_A_PROPOSAL, actor=moderator)

    def incorporated():
        for commitment in commitments.plan(cycle):
            _in_bulk(commitments.origin_proposals(commitment), template=made["Incorporada en un compromiso"],
                     actor=moderator, commitment=commitment)

    def not_taken_up():
        rest = _submitted(cycle)
        rng.shuffle(rest)
        split = len(rest) * 2 // 3
        _in_bulk(sorted(rest[:split], key=lambda p: p.number), template=made["No acogida: sin institución responsable"],
                 actor=moderator)
        _in_bulk(sorted(rest[split:], key=lambda p: p.number),
                 template=made["No acogida: corresponde a una política sectorial"], actor=moderator)

    timeline.at(at_fraction(span, 0.1), merge_duplicates)
    timeline.at(at_fraction(span, 0.15), not_proposals)
    timeline.at(at_fraction(span, 0.7), incorporated)
    timeline.at(at_fraction(span, 0.85) + timedelta(hours=3), not_taken_up)
    timeline.play()


def _renca(demo: Demo, cycle, phase) -> None:
    moderator = demo.users["moderacion_renca"]
    span = drafting_span(cycle, phase)
    made = {}
    timeline = Timeline()
    timeline.at(at_fraction(span, 0.1), lambda: made.update(
        _templates(cycle.jurisdiction, RENCA_TEMPLATES, moderator)))

    def incorporated():
        for commitment in commitments.plan(cycle):
            _in_bulk(commitments.origin_proposals(commitment), template=made["Incorporada en un compromiso"],
                     actor=moderator, commitment=commitment)

    timeline.at(at_fraction(span, 0.6), incorporated)
    timeline.at(at_fraction(span, 0.7), lambda: _in_bulk(
        _submitted(cycle), template=made["No acogida en este plan"], actor=moderator))
    timeline.play()


@during(PhaseKind.SYSTEMATISATION)
def answer_every_proposal(demo: Demo, cycle, phase) -> None:
    (_renca if cycle.code == "REN1" else _national)(demo, cycle, phase)
    coverage = triage.coverage(cycle).total
    demo.log(f"triage: {cycle.code} {coverage.received} received, {coverage.answered} answered, "
             f"{coverage.pending} pending")
