"""The proposals received: the 4th plan's 158 through the formulario único, the 3rd plan's 58
(civil society through its form, public agencies' submissions to the Comisión typed in by a
moderator), and a few in Renca's open intake. Each is sent with the clock at the moment it arrived,
inside its sector's window; some are edited, some say nearly what another said, a few were sent
twice or are no proposal at all (triage answers them all), and in Renca a few are withdrawn.

Withdrawals happen in Renca only: a withdrawn proposal takes no outcome, and the past plans'
coverage must read every proposal answered (158 of 158, 58 of 58).
"""
import random
from dataclasses import dataclass, field
from datetime import timedelta

from consulta.core import clock
from consulta.core.sectors import Sector
from consulta.core.windows import to_local
from consulta.cycles.models import PhaseKind
from consulta.cycles.services import window_for
from consulta.demo import texts
from consulta.demo.base import NATIONAL_SLUG
from consulta.demo.loader import Demo, during, step
from consulta.demo.timeline import Timeline, moments
from consulta.proposals import services as proposals
from consulta.proposals.models import Channel, OgpValue, WithdrawalReason

SEED = 4158

AREAS_OF = {"PA3": texts.AREAS, "PA4": texts.AREAS, "REN1": texts.LOCAL_AREAS}

# The entities a proposal in each area tends to name (some not among the jurisdiction's, as typed).
ENTITIES = {
    texts.AREAS[0]: ("Dirección General de Aguas – Ministerio de Obras Públicas", "Ministerio del Medio Ambiente",
                     "Servicio de Evaluación Ambiental", "Corporación Nacional Forestal"),
    texts.AREAS[1]: ("Ministerio de Educación", "Ministerio de Salud", "Biblioteca del Congreso Nacional",
                     "Dirección Nacional del Servicio Civil", "Ministerio de Desarrollo Social"),
    texts.AREAS[2]: ("Consejo para la Transparencia", "Ministerio Secretaría General de la Presidencia",
                     "Defensoría Penal Pública",
                     "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno"),
    texts.AREAS[3]: ("Consejo para la Transparencia", "Contraloría General de la República",
                     "Unidad de Análisis Financiero", "Dirección de Compras y Contratación Pública (ChileCompra)",
                     "Dirección Nacional del Servicio Civil"),
}
for _area in texts.LOCAL_AREAS:
    ENTITIES[_area] = ("Municipalidad de Renca",)

# 4th plan, through the one form: 158 in all, two of them the same proposal sent twice by mistake.
PA4_SECTORS = {Sector.CIUDADANIA: 63, Sector.OSC: 45, Sector.SERVICIO_PUBLICO: 22, Sector.ACADEMIA: 16,
               Sector.SECTOR_PRIVADO: 10}
PA4_SENT_TWICE = (Sector.CIUDADANIA, Sector.OSC)
PA4_AREA_WEIGHTS = (28, 36, 50, 44)
PA4_NEAR_DUPLICATES = 6
PA4_OUT_OF_SCOPE = 3
PA4_EDITS = 8
# 3rd plan: civil society through its form, agencies through the Comisión.
PA3_OSC_FORM = 34
PA3_AGENCIES = 24
PA3_MERGED = 3
# Renca: sent before the working tables opened (triaged before the consultation opened), and since.
RENCA_EARLY = 4
RENCA_LATER = 5


@dataclass(eq=False)
class Slot:
    """One proposal to come: who sends it, when, and what it says."""

    at: object
    sector: Sector
    author: object = None
    organisation: object = None
    area: str = ""
    topic: int | None = None
    text: dict = field(default_factory=dict)
    entity: str | None = None
    values: list = field(default_factory=list)
    proposal: object = None


# --- areas --------------------------------------------------------------------------------------

@step
def thematic_areas(demo: Demo) -> None:
    for code, names in AREAS_OF.items():
        cycle = demo.cycle(code)
        actor = demo.users["admin"] if cycle.jurisdiction.is_national else demo.users["admin_renca"]
        clock.set_now(cycle.created_at + timedelta(minutes=30))
        for name in names:
            proposals.add_area(cycle, name=name, actor=actor)


# --- who says what -----------------------------------------------------------------------------

def _organisations_of(demo: Demo, sector: Sector) -> list[str]:
    """The national plans hear organisations verified at the national level (Renca's take part in Renca)."""
    national = demo.jurisdictions[NATIONAL_SLUG].id
    return sorted(key for key, organisation in demo.organisations.items()
                  if organisation.sector == sector and organisation.jurisdiction_id == national)


def _fill(rng: random.Random, demo: Demo, slot: Slot, *, citizens, area: str, organisation_key=None) -> Slot:
    if slot.sector == Sector.CIUDADANIA:
        slot.author = rng.choice(citizens)
    else:
        key = organisation_key or rng.choice(_organisations_of(demo, slot.sector))
        slot.organisation, slot.author = demo.organisations[key], demo.representatives[key]
    slot.area = area
    slot.topic = rng.randrange(len(texts.TOPICS[area]))
    slot.text = texts.proposal_text(rng, area, topic_index=slot.topic)
    if slot.sector == Sector.SERVICIO_PUBLICO:
        slot.entity = slot.organisation.name
    else:
        slot.entity = rng.choice(ENTITIES[area] + (None,))
    slot.values = rng.sample(list(OgpValue), rng.randint(1, 3))
    return slot


def _sent_again(slot: Slot, at) -> Slot:
    return Slot(at=at, sector=slot.sector, author=slot.author, organisation=slot.organisation, area=slot.area,
                topic=slot.topic, text=slot.text, entity=slot.entity, values=slot.values)


def _send(cycle, slot: Slot, areas: dict) -> None:
    slot.proposal = proposals.submit_proposal(
        cycle=cycle, author=slot.author, organisation=slot.organisation, title=slot.text["title"],
        problem=slot.text["problem"], body=slot.text["body"], area=areas[slot.area], values=slot.values,
        entity_name=slot.entity, actor=slot.author)


def _edit(slot: Slot, areas: dict, text: dict) -> None:
    proposals.edit(slot.proposal, title=text["title"], problem=text["problem"], body=text["body"],
                   area=areas[slot.area], values=slot.values, entity_name=slot.entity, actor=slot.author)


def _areas(cycle) -> dict:
    return {area.name: area for area in proposals.areas(cycle)}


def _later(rng: random.Random, slot: Slot, closes_at, *, hours: tuple[int, int]):
    """A moment some hours after the slot's sending, before the window closes (None if there is none)."""
    moment = slot.at + timedelta(hours=rng.randint(*hours), minutes=rng.randrange(60))
    return moment if moment < closes_at - timedelta(hours=1) else None


def _schedule_edits(rng: random.Random, timeline: Timeline, slots, areas: dict, closes_at, count: int) -> None:
    edits = [(slot, moment) for slot in slots if (moment := _later(rng, slot, closes_at, hours=(20, 120)))]
    for slot, moment in edits[:count]:
        revised = texts.edited_text(rng, slot.text)
        timeline.at(moment, lambda slot=slot, revised=revised: _edit(slot, areas, revised))


def _remember(demo: Demo, slots) -> None:
    """For triage and commitments: what each proposal is about (area and topic; None: no proposal at all)."""
    topics = demo.shared.setdefault("topics", {})
    for slot in slots:
        topics[slot.proposal.id] = (slot.area, slot.topic)


# --- the 4th plan ------------------------------------------------------------------------------

def _fourth_plan(demo: Demo, cycle, phase) -> None:
    rng = random.Random(SEED)
    areas = _areas(cycle)
    tz = cycle.jurisdiction.timezone
    window = window_for(phase, Sector.CIUDADANIA)
    sectors = [sector for sector, count in PA4_SECTORS.items() for _ in range(count)]
    rng.shuffle(sectors)
    citizens = demo.participants[:110]
    slots = [_fill(rng, demo, Slot(at=at, sector=sector), citizens=citizens,
                   area=rng.choices(texts.AREAS, weights=PA4_AREA_WEIGHTS)[0])
             for at, sector in zip(moments(rng, window.opens_at, window.closes_at, len(sectors), tz, rush=1.8),
                                   sectors)]

    # Near-duplicates: later senders who say what an earlier one said, in their own words.
    copies = rng.sample(slots[len(slots) // 2:], PA4_NEAR_DUPLICATES)
    near = []
    for slot in copies:
        original = rng.choice([other for other in slots if other.at < slot.at and other.area == slot.area
                               and other.author is not slot.author and other not in copies])
        slot.topic = original.topic
        slot.text = texts.reworded_text(rng, slot.area, original.topic)
        near.append((original, slot))
    # Not proposals at all: a complaint, an advertisement, a personal request.
    originals = {original for original, _similar in near}
    others = [slot for slot in slots if slot.sector == Sector.CIUDADANIA and slot not in copies
              and slot not in originals]
    for slot, text in zip(rng.sample(others, PA4_OUT_OF_SCOPE), texts.OUT_OF_SCOPE):
        slot.text, slot.topic, slot.entity = text, None, None

    timeline = Timeline()
    for slot in slots:
        timeline.at(slot.at, lambda slot=slot: _send(cycle, slot, areas))
    # Sent twice by mistake, minutes apart: moderators merge the copy into the first.
    twice = []
    for sector in PA4_SENT_TWICE:
        original = next(slot for slot in slots if slot.sector == sector and slot.topic is not None
                        and slot not in copies)
        copy = _sent_again(original, original.at + timedelta(minutes=rng.randint(3, 9)))
        timeline.at(copy.at, lambda copy=copy: _send(cycle, copy, areas))
        twice.append((original, copy))
    _schedule_edits(rng, timeline, [slot for slot in slots if slot.topic is not None and slot not in copies],
                    areas, window.closes_at, PA4_EDITS)
    timeline.play()
    _remember(demo, slots + [copy for _original, copy in twice])
    demo.shared["PA4 duplicates"] = [(original.proposal, copy.proposal) for original, copy in near]
    demo.shared["PA4 sent twice"] = [(original.proposal, copy.proposal) for original, copy in twice]


# --- the 3rd plan ------------------------------------------------------------------------------

def _enter_agency_submission(cycle, slot: Slot, areas: dict, moderator) -> None:
    organisation = slot.organisation
    domain = organisation.website.split("//", 1)[1]
    slot.proposal = proposals.enter_from_channel(
        cycle=cycle, channel=Channel.AGENCY_SUBMISSION, received_on=to_local(slot.at, cycle.jurisdiction.timezone).date(),
        submitter_name=organisation.name, submitter_email=f"gobierno.abierto@{domain}", sector=Sector.SERVICIO_PUBLICO,
        organisation=organisation, entity_name=slot.entity, title=slot.text["title"], problem=slot.text["problem"],
        body=slot.text["body"], area=areas[slot.area], values=slot.values, actor=moderator)


def _third_plan(demo: Demo, cycle, phase) -> None:
    rng = random.Random(SEED + 3)
    areas = _areas(cycle)
    tz = cycle.jurisdiction.timezone
    timeline = Timeline()
    osc = window_for(phase, Sector.OSC)
    slots = [_fill(rng, demo, Slot(at=at, sector=Sector.OSC), citizens=(), area=rng.choice(texts.AREAS))
             for at in moments(rng, osc.opens_at, osc.closes_at, PA3_OSC_FORM, tz, rush=1.5)]
    for slot in slots:
        timeline.at(slot.at, lambda slot=slot: _send(cycle, slot, areas))
    _schedule_edits(rng, timeline, slots, areas, osc.closes_at, 2)

    agencies = window_for(phase, Sector.SERVICIO_PUBLICO)
    moderator = demo.users["moderacion"]
    for at in moments(rng, agencies.opens_at, agencies.closes_at, PA3_AGENCIES, tz, rush=1.5):
        slot = _fill(rng, demo, Slot(at=at, sector=Sector.SERVICIO_PUBLICO), citizens=(), area=rng.choice(texts.AREAS))
        slots.append(slot)
        timeline.at(at, lambda slot=slot: _enter_agency_submission(cycle, slot, areas, moderator))
    timeline.play()
    _remember(demo, slots)
    # Two organisations that proposed the same thing: triage merges the later into the earlier.
    by_topic = {}
    for slot in sorted(slots, key=lambda slot: slot.at):
        by_topic.setdefault((slot.area, slot.topic), []).append(slot)
    demo.shared["PA3 duplicates"] = [(same[0].proposal, same[1].proposal) for same in by_topic.values()
                                     if len(same) > 1][:PA3_MERGED]


# --- Renca, open now ---------------------------------------------------------------------------

def _renca_slots(demo: Demo, rng: random.Random, senders, first, last, tz) -> list[Slot]:
    return [_fill(rng, demo, Slot(at=at, sector=sector), citizens=[person], area=rng.choice(texts.LOCAL_AREAS),
                  organisation_key=key)
            for at, (sector, person, key) in zip(moments(rng, first, last, len(senders), tz), senders)]


def _renca_early(demo: Demo, cycle, phase) -> None:
    """Sent before the working tables opened: the tables discuss them, triage answers them."""
    rng = random.Random(SEED + 1)
    senders = [(Sector.CIUDADANIA, demo.users["ciudadana"], None), (Sector.OSC, None, "tribu"),
               (Sector.OSC, None, "junta_huamachuco"), (Sector.CIUDADANIA, demo.participants[140], None)]
    slots = _renca_slots(demo, rng, senders[:RENCA_EARLY], phase.opens_at,
                         cycle.phase(PhaseKind.TABLES).opens_at, cycle.jurisdiction.timezone)
    timeline = Timeline()
    areas = _areas(cycle)
    for slot in slots:
        timeline.at(slot.at, lambda slot=slot: _send(cycle, slot, areas))
    timeline.play()
    _remember(demo, slots)


def _renca_later(demo: Demo, cycle, phase) -> None:
    """Sent since the consultation opened, while intake stays open: waiting for triage; one sent twice
    and its copy withdrawn, another withdrawn by its author."""
    rng = random.Random(SEED + 2)
    senders = [(Sector.OSC, None, "konrad_adenauer")] + [
        (Sector.CIUDADANIA, person, None) for person in demo.participants[141:141 + RENCA_LATER - 1]]
    tz = cycle.jurisdiction.timezone
    slots = _renca_slots(demo, rng, senders, phase.opens_at, demo.now - timedelta(hours=1), tz)
    timeline = Timeline()
    areas = _areas(cycle)
    for slot in slots:
        timeline.at(slot.at, lambda slot=slot: _send(cycle, slot, areas))
    twice = _sent_again(slots[1], slots[1].at + timedelta(minutes=4))
    timeline.at(twice.at, lambda: _send(cycle, twice, areas))
    timeline.at(twice.at + timedelta(minutes=20), lambda: proposals.withdraw(
        twice.proposal, reason=WithdrawalReason.DUPLICATE, actor=twice.author))
    changed_mind = slots[-1]
    timeline.at(min(changed_mind.at + timedelta(hours=2), demo.now), lambda: proposals.withdraw(
        changed_mind.proposal, reason=WithdrawalReason.OTHER, actor=changed_mind.author,
        note="La presentaremos junto a la junta de vecinos en la mesa de trabajo."))
    timeline.play()


@during(PhaseKind.INTAKE)
def intake(demo: Demo, cycle, phase) -> None:
    {"PA3": _third_plan, "PA4": _fourth_plan, "REN1": _renca_early}[cycle.code](demo, cycle, phase)
    if cycle.code != "REN1":
        demo.log(f"proposals: {cycle.code} received {proposals.received_count(cycle)}")


@during(PhaseKind.CONSULTATION)
def intake_still_open(demo: Demo, cycle, phase) -> None:
    """Renca's intake stays open while its consultation runs: proposals keep arriving."""
    if cycle.code == "REN1":
        _renca_later(demo, cycle, phase)
        demo.log(f"proposals: {cycle.code} received {proposals.received_count(cycle)} so far")
