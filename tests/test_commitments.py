"""Commitments: drafted from proposals and linked both ways, activities with their dates, the plan by
area, frozen versions that quotes can rely on, and what changed between versions."""
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from consulta.commitments import services
from consulta.commitments.models import CommitmentSnapshot, CommitmentState, PlanVersion, VersionPurpose
from consulta.core.audit import history
from consulta.core.errors import DomainError, PermissionDenied
from consulta.cycles.models import PhaseKind, PhaseState
from consulta.cycles.services import advance_phases, close_phase, open_phase
from consulta.proposals.models import OgpValue
from consulta.proposals.services import areas
from tests.factories import (
    local_today, make_activity, make_area, make_commitment, make_entity, make_intake_cycle, make_moderator,
    make_phase, make_proposal, make_user,
)

# Commitment N° 4 of the 4th plan, as the seed gives it.
MODEL_TEXT = ("Promover y gestionar la adhesión de municipalidades del país –con especial énfasis en la "
              "incorporación de municipios de regiones alejadas de la capital– al Modelo de Gobierno Abierto "
              "Municipal.")
SEED_ACTIVITIES = [
    ("Sistematización y operativización el Modelo de Gobierno Abierto Municipal y su instrumental de "
     "implementación.", date(2018, 12, 1), date(2019, 4, 30)),
    ("Difusión del Modelo y promoción de la adhesión municipal a través de firmas a nivel de alcaldes y "
     "alcaldesas en un acto de voluntad política en municipios.", date(2019, 5, 1), date(2019, 10, 30)),
    ("Capacitación para el uso de instrumentos, elaboración de diagnósticos y diseño participativo de planes "
     "locales de acción.", date(2019, 5, 1), date(2020, 3, 31)),
    ("Asesoría para la implementación y monitoreo.", date(2019, 5, 1), date(2020, 7, 31)),
]


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def url(cycle, tail=""):
    return f"/j/{cycle.jurisdiction.slug}/{cycle.slug}{tail}"


def shown(message, **values):
    """A message as the pages show it: in Spanish, the default language."""
    with force_locale("es"):
        return _(message, **values)


def send(client, path, data):
    """Post a form the way a browser does: with the token of the page that shows it."""
    token = TOKEN.search(client.get(path).get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def cycle(db):
    return make_intake_cycle(areas=("Modernización del Estado", "Transparencia e integridad"))


@pytest.fixture
def moderator(cycle):
    return make_moderator(cycle.jurisdiction)


def seed_commitment(cycle, moderator, **overrides):
    fields = {"number": 4, "name": "Ampliación y profundización del Modelo de Gobierno Abierto Municipal",
              "area": areas(cycle)[0], "entity": make_entity(cycle.jurisdiction, name="Consejo para la Transparencia"),
              "commitment_text": MODEL_TEXT, "actor": moderator}
    fields.update(overrides)
    commitment = make_commitment(cycle, **fields)
    for name, starts_on, ends_on in SEED_ACTIVITIES:
        make_activity(commitment, name=name, starts_on=starts_on, ends_on=ends_on, actor=moderator)
    return commitment


# --- commitments and their origin proposals --------------------------------------------------------

def test_a_commitment_from_two_proposals_links_both_ways(cycle, moderator, client):
    first, second = make_proposal(cycle, title="Datos abiertos municipales"), make_proposal(cycle)
    commitment = make_commitment(cycle, from_proposals=[first, second.reference], actor=moderator)

    assert services.origin_proposals(commitment) == [first, second]
    assert services.commitments_of_proposal(first) == [commitment]
    assert services.commitments_of_proposal(second) == [commitment]
    codes = [(row.to_state, row.reason) for row in history(commitment)]
    assert codes == [("IN_PLAN", ""), ("PROPOSAL_LINKED", first.reference), ("PROPOSAL_LINKED", second.reference)]

    page = client.get(url(cycle, f"/compromisos/{commitment.number}")).get_data(as_text=True)
    assert first.reference in page and second.reference in page and "Datos abiertos municipales" in page


def test_more_proposals_are_linked_later_once_each(cycle, moderator):
    commitment = make_commitment(cycle, actor=moderator)
    later = make_proposal(cycle)
    services.link_proposal(commitment, later, actor=moderator)
    services.link_proposal(commitment, later.reference.lower(), actor=moderator)
    assert services.origin_proposals(commitment) == [later]


def test_the_text_of_the_proposals_is_offered_as_the_start(cycle):
    first = make_proposal(cycle, problem="Nadie sabe cuánto cuesta.", body="Publicar los contratos.",
                          values=[OgpValue.TRANSPARENCIA], area=areas(cycle)[1])
    second = make_proposal(cycle, problem="No hay datos.", body="Abrir los datos.",
                           values=[OgpValue.PARTICIPACION], area=areas(cycle)[1])
    start = services.starting_text([first, second])
    assert start["name"] == first.title
    assert start["problem"] == f"{first.reference}: Nadie sabe cuánto cuesta.\n\n{second.reference}: No hay datos."
    assert start["commitment_text"].endswith(f"{second.reference}: Abrir los datos.")
    assert start["area"] == areas(cycle)[1].id
    assert start["values"] == [OgpValue.PARTICIPACION, OgpValue.TRANSPARENCIA]


@pytest.mark.parametrize("overrides, field", [
    ({"ends_on": date(2018, 11, 30)}, "ends_on"),
    ({"starts_on": "mañana"}, "starts_on"),
    ({"name": "  "}, "name"),
    ({"commitment_text": ""}, "commitment_text"),
    ({"values": []}, "values"),
    ({"values": ["HONESTIDAD"]}, "values"),
    ({"number": 0}, "number"),
    ({"name": "x" * 301}, "name"),
])
def test_a_commitment_with_bad_fields_is_refused_with_the_field_named(cycle, moderator, overrides, field):
    with pytest.raises(DomainError) as refused:
        make_commitment(cycle, actor=moderator, **overrides)
    assert refused.value.field == field


def test_numbers_areas_entities_and_proposals_belong_to_the_cycle(cycle, moderator):
    make_commitment(cycle, number=4, actor=moderator)
    with pytest.raises(DomainError, match="N° 4") as refused:
        make_commitment(cycle, number=4, actor=moderator)
    assert refused.value.field == "number"
    elsewhere = make_intake_cycle()
    with pytest.raises(DomainError) as refused:
        make_commitment(cycle, area=areas(elsewhere)[0], actor=moderator)
    assert refused.value.field == "area"
    with pytest.raises(DomainError) as refused:
        make_commitment(cycle, entity=make_entity(elsewhere.jurisdiction), actor=moderator)
    assert refused.value.field == "entity"
    with pytest.raises(DomainError) as refused:
        make_commitment(cycle, from_proposals=[make_proposal(elsewhere)], actor=moderator)
    assert refused.value.field == "proposals"
    with pytest.raises(DomainError, match="PA999-0001"):
        make_commitment(cycle, from_proposals=["PA999-0001"], actor=moderator)


def test_a_withdrawn_proposal_cannot_be_an_origin(cycle, moderator):
    from consulta.proposals.models import WithdrawalReason
    from consulta.proposals.services import withdraw

    proposal = make_proposal(cycle)
    withdraw(proposal, reason=WithdrawalReason.DUPLICATE, actor=proposal.author)
    with pytest.raises(DomainError, match=proposal.reference):
        make_commitment(cycle, from_proposals=[proposal], actor=moderator)


def test_only_the_jurisdictions_moderators_draft_commitments(cycle):
    with pytest.raises(PermissionDenied):
        make_commitment(cycle, actor=make_moderator())  # a moderator of another municipality
    with pytest.raises(PermissionDenied):
        make_commitment(cycle, actor=make_user())


def test_editing_records_what_changed_and_keeps_numbers_unique(cycle, moderator):
    commitment = make_commitment(cycle, number=1, actor=moderator)
    other = make_commitment(cycle, number=2, actor=moderator)
    services.update_commitment(commitment, name="Un nombre mejor", values=["RENDICION_DE_CUENTAS"], actor=moderator)
    assert commitment.values == [OgpValue.RENDICION_DE_CUENTAS]
    assert history(commitment)[-1].to_state == "EDITED"
    assert history(commitment)[-1].reason == "name, values"
    with pytest.raises(DomainError) as refused:
        services.update_commitment(other, number=1, actor=moderator)
    assert refused.value.field == "number"
    with pytest.raises(DomainError) as refused:
        services.update_commitment(commitment, ends_on=date(2018, 1, 1), actor=moderator)
    assert refused.value.field == "ends_on"


def test_a_commitment_taken_out_stays_readable_and_leaves_the_plan(cycle, moderator, client):
    kept, dropped = make_commitment(cycle, actor=moderator), make_commitment(cycle, actor=moderator)
    with pytest.raises(DomainError):
        services.withdraw_commitment(dropped, reason=" ", actor=moderator)
    services.withdraw_commitment(dropped, reason="Se fusionó con el compromiso N° 1.", actor=moderator)
    assert dropped.state is CommitmentState.WITHDRAWN
    assert services.plan(cycle) == [kept]
    page = client.get(url(cycle, f"/compromisos/{dropped.number}")).get_data(as_text=True)
    assert "Se fusionó con el compromiso N° 1." in page
    services.restore_commitment(dropped, actor=moderator)
    assert services.plan(cycle) == [kept, dropped]


# --- activities -----------------------------------------------------------------------------------

def test_commitment_number_4_with_its_four_activities(cycle, moderator, client):
    commitment = seed_commitment(cycle, moderator)
    assert [(a.name, a.starts_on, a.ends_on) for a in commitment.activities] == SEED_ACTIVITIES
    page = client.get(url(cycle, "/compromisos/4")).get_data(as_text=True)
    assert "N° 4: Ampliación y profundización del Modelo de Gobierno Abierto Municipal" in page
    assert "Consejo para la Transparencia" in page
    assert "1 de diciembre de 2018" in page and "31 de agosto de 2020" in page
    assert "Asesoría para la implementación y monitoreo." in page and "31 de julio de 2020" in page


@pytest.mark.parametrize("starts_on, ends_on, field", [
    (date(2019, 5, 1), date(2019, 4, 30), "ends_on"),
    (date(2018, 11, 30), date(2019, 4, 30), "starts_on"),
    (date(2019, 5, 1), date(2020, 9, 1), "ends_on"),
])
def test_activities_keep_their_dates_in_order_and_within_the_commitment(cycle, moderator, starts_on, ends_on,
                                                                         field):
    commitment = make_commitment(cycle, actor=moderator)
    with pytest.raises(DomainError) as refused:
        make_activity(commitment, starts_on=starts_on, ends_on=ends_on, actor=moderator)
    assert refused.value.field == field


def test_an_activity_is_edited_with_its_history(cycle, moderator):
    activity = make_activity(make_commitment(cycle, actor=moderator), actor=moderator)
    services.update_activity(activity, name="Asesoría", starts_on=activity.starts_on, ends_on=activity.ends_on,
                             actor=moderator)
    assert [row.to_state for row in history(activity)] == ["CREATED", "EDITED"]


# --- versions of the plan -------------------------------------------------------------------------

def test_quoting_version_1_reads_the_same_after_a_new_version(cycle, moderator):
    commitment = seed_commitment(cycle, moderator)
    first = services.freeze_plan(cycle, actor=moderator, purpose=VersionPurpose.CONSULTATION_DRAFT)
    assert first.number == 1
    assert services.version_text(first, 4, "commitment") == MODEL_TEXT
    quoted = "con especial énfasis en la incorporación de municipios de regiones alejadas de la capital"
    assert quoted in services.version_text(first, 4, "commitment")

    services.update_commitment(commitment, commitment_text="Promover la adhesión de todas las municipalidades.",
                               actor=moderator)
    services.update_activity(commitment.activities[3], name="Asesoría y monitoreo.", starts_on=date(2019, 5, 1),
                             ends_on=date(2020, 7, 31), actor=moderator)
    second = services.freeze_plan(cycle, actor=moderator, label="Tras la consulta pública")
    assert second.number == 2
    assert quoted in services.version_text(first, 4, "commitment")
    assert quoted not in services.version_text(second, 4, "commitment")
    assert services.version_text(first, 4, "activities").endswith("Asesoría para la implementación y monitoreo.")
    assert services.version_text(second, 4, "activities").endswith("Asesoría y monitoreo.")
    assert services.version_text(first, 9, "problem") is None
    with pytest.raises(DomainError):
        services.version_text(first, 4, "budget")


def test_frozen_rows_cannot_change(cycle, moderator, db):
    make_commitment(cycle, actor=moderator)
    version = services.freeze_plan(cycle, actor=moderator)
    row = db.session.scalar(select(CommitmentSnapshot).where(CommitmentSnapshot.version_id == version.id))
    row.content = {"name": "otro"}
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_a_version_the_same_as_the_last_is_refused(cycle, moderator):
    make_commitment(cycle, actor=moderator)
    services.freeze_plan(cycle, actor=moderator)
    with pytest.raises(DomainError, match=shown("Nothing changed since version %(number)s.", number=1)):
        services.freeze_plan(cycle, actor=moderator)
    with pytest.raises(PermissionDenied):
        services.freeze_plan(cycle, actor=make_moderator())


def test_what_changed_between_versions(cycle, moderator):
    kept = seed_commitment(cycle, moderator)
    dropped = make_commitment(cycle, number=7, actor=moderator)
    first = services.freeze_plan(cycle, actor=moderator)
    services.update_commitment(kept, name="Profundización del Modelo de Gobierno Abierto Municipal", actor=moderator)
    services.withdraw_commitment(dropped, reason="Fusionado con el N° 4.", actor=moderator)
    added = make_commitment(cycle, number=13, actor=moderator)
    second = services.freeze_plan(cycle, actor=moderator)

    changes = {change.number: change for change in services.diff(first, second)}
    assert changes[7].kind == "removed" and changes[13].kind == "added" and changes[13].name == added.name
    assert changes[4].kind == "changed"
    [name] = changes[4].parts
    assert name.part == "name"
    assert ("delete", "Ampliación y profundización") in name.segments
    assert ("insert", "Profundización") in name.segments


def test_opening_the_consultation_freezes_version_1(cycle, moderator):
    seed_commitment(cycle, moderator)
    today = local_today()
    phase = make_phase(cycle, PhaseKind.CONSULTATION, first_day=today - timedelta(days=2),
                       last_day=today + timedelta(days=20))
    open_phase(phase, actor=None)
    [first] = services.versions(cycle)
    assert first.number == 1 and first.purpose is VersionPurpose.CONSULTATION_DRAFT
    assert services.consultation_version(cycle) == first
    assert services.version_text(first, 4, "commitment") == MODEL_TEXT
    # Closed for a fix and opened again, unchanged: the same version is still the one consulted.
    close_phase(phase, actor=None)
    open_phase(phase, actor=None)
    assert services.versions(cycle) == [first]


def test_the_scheduler_opening_the_consultation_freezes_it_too(cycle, moderator, clock):
    make_commitment(cycle, actor=moderator)
    today = local_today()
    phase = make_phase(cycle, PhaseKind.CONSULTATION, first_day=today + timedelta(days=1),
                       last_day=today + timedelta(days=20))
    advance_phases(phase.opens_at + timedelta(minutes=1))
    assert phase.state is PhaseState.OPEN
    assert [version.purpose for version in services.versions(cycle)] == [VersionPurpose.CONSULTATION_DRAFT]


# --- pages ---------------------------------------------------------------------------------------

def test_the_plan_page_lists_commitments_by_area(cycle, moderator, client):
    modernisation, transparency = areas(cycle)
    make_commitment(cycle, number=6, name="Plan estratégico de integridad", area=transparency, actor=moderator)
    seed_commitment(cycle, moderator, area=modernisation)
    page = client.get(url(cycle, "/plan")).get_data(as_text=True)
    assert page.index("Modernización del Estado") < page.index("Ampliación y profundización")
    assert page.index("Transparencia e integridad") < page.index("Plan estratégico de integridad")
    assert page.index("Ampliación y profundización") < page.index("Transparencia e integridad")


def test_the_version_pages_show_the_frozen_text_and_the_changes(cycle, moderator, client):
    commitment = seed_commitment(cycle, moderator)
    services.freeze_plan(cycle, actor=moderator)
    services.update_commitment(commitment, problem="Un problema <script>alert(1)</script> nuevo.", actor=moderator)
    services.freeze_plan(cycle, actor=moderator)
    listing = client.get(url(cycle, "/plan/versiones")).get_data(as_text=True)
    assert re.search(r"Versi[oó]n 2", listing) and re.search(r"Versi[oó]n 1", listing)
    page = client.get(url(cycle, "/plan/versiones/2")).get_data(as_text=True)
    assert "<ins>" in page and "<del>" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert MODEL_TEXT in page
    assert client.get(url(cycle, "/plan/versiones/3")).status_code == 404


def test_a_moderator_drafts_a_commitment_from_proposals_through_the_form(cycle, moderator, login_as):
    first, second = make_proposal(cycle, title="Municipios abiertos"), make_proposal(cycle)
    client = login_as(moderator)
    form = client.get(url(cycle, f"/compromisos/nuevo?propuesta={first.reference}&propuesta={second.reference}"))
    text = form.get_data(as_text=True)
    assert 'value="Municipios abiertos"' in text and f"{first.reference}, {second.reference}" in text
    entity = make_entity(cycle.jurisdiction)
    fields = {"number": "4", "name": "Municipios abiertos", "area": str(areas(cycle)[0].id), "entity": str(entity.id),
              "starts_on": "2018-12-01", "ends_on": "2018-11-01", "problem": "Un problema.",
              "commitment_text": "Un compromiso.", "contribution": "", "supporting": "",
              "values": ["TRANSPARENCIA"], "proposals": f"{first.reference}, {second.reference}"}
    refused = send(client, url(cycle, "/compromisos/nuevo"), fields)
    assert refused.status_code == 200
    assert shown("The execution period cannot end before it starts.") in refused.get_data(as_text=True)
    fields["ends_on"] = "2020-08-31"
    saved = send(client, url(cycle, "/compromisos/nuevo"), fields)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/compromisos/4")
    commitment = services.find(cycle, 4)
    assert services.origin_proposals(commitment) == [first, second]


def test_moderators_of_another_jurisdiction_get_403_and_visitors_the_login(cycle, moderator, client, login_as):
    commitment = make_commitment(cycle, actor=moderator)
    pages = [url(cycle, "/compromisos/nuevo"), url(cycle, f"/compromisos/{commitment.number}/editar"),
             url(cycle, f"/compromisos/{commitment.number}/actividades/nueva"),
             url(cycle, f"/compromisos/{commitment.number}/vincular"), url(cycle, "/plan/versiones/nueva"),
             url(cycle, f"/compromisos/{commitment.number}/retirar")]
    for page in pages:
        assert "/cuenta/" in client.get(page).headers["Location"]
    login_as(make_moderator())
    for page in pages:
        assert client.get(page).status_code == 403
        assert client.post(page, data={}).status_code == 403
    assert client.get(url(cycle, f"/compromisos/{commitment.number}")).status_code == 200


def test_a_moderator_adds_an_activity_and_freezes_a_version_through_the_pages(cycle, moderator, login_as, db):
    commitment = make_commitment(cycle, actor=moderator)
    client = login_as(moderator)
    page = url(cycle, f"/compromisos/{commitment.number}/actividades/nueva")
    refused = send(client, page, {"name": "Capacitación", "starts_on": "2021-01-01", "ends_on": "2021-02-01"})
    assert refused.status_code == 200 and commitment.activities == []
    assert shown("An activity falls within the commitment's execution period: %(first)s to %(last)s.",
                 first="1 de diciembre de 2018", last="31 de agosto de 2020") in refused.get_data(as_text=True)
    saved = send(client, page, {"name": "Capacitación", "starts_on": "2019-05-01", "ends_on": "2020-03-31"})
    assert saved.status_code == 302
    frozen = send(client, url(cycle, "/plan/versiones/nueva"), {"label": "Borrador"})
    assert frozen.status_code == 302 and frozen.headers["Location"].endswith("/plan/versiones/1")
    version = db.session.scalar(select(PlanVersion).where(PlanVersion.cycle_id == cycle.id))
    assert services.version_text(version, commitment.number, "activities") == "Capacitación"


def test_an_area_added_later_is_offered(cycle, moderator, login_as):
    make_area(cycle, name="Recursos naturales y medio ambiente")
    page = login_as(moderator).get(url(cycle, "/compromisos/nuevo")).get_data(as_text=True)
    assert "Recursos naturales y medio ambiente" in page
