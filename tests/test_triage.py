"""Triage: outcomes with a reasoned response, corrections kept public, private notes, templates, bulk
actions, loss-free merges and their undo, clusters, the queue, the coverage gauge and the gate."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consulta.commitments.services import commitments_of_proposal, origin_proposals
from consulta.core.audit import StateChange, history
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.outbox import OutboxEmail
from consulta.core.sectors import Sector
from consulta.cycles.models import PhaseKind, PhaseState
from consulta.cycles.services import open_phase
from consulta.proposals.models import Channel, ProposalState, WithdrawalReason
from consulta.proposals.services import areas, export_rows, received, received_count, withdraw
from consulta.triage import services
from consulta.triage.models import ResponseKind, TemplateState
from tests.factories import (
    local_today, make_commitment, make_intake_cycle, make_moderator, make_phase, make_proposal, make_table, make_user,
)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NO = ProposalState.NOT_ACCEPTED


def url(cycle, tail=""):
    return f"/j/{cycle.jurisdiction.slug}/{cycle.slug}{tail}"


def send(client, path, data, page=None):
    """Post a form with the token of the page that shows it."""
    token = TOKEN.search(client.get(page or path).get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def mails(db, to=None):
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.recipient == to)
    return list(db.session.scalars(query))


@pytest.fixture
def cycle(db):
    return make_intake_cycle()


@pytest.fixture
def moderator(cycle):
    return make_moderator(cycle.jurisdiction)


# --- outcomes and responses -----------------------------------------------------------------------

@pytest.mark.parametrize("response", ["", "   ", "<p> </p>", "<br><br>", "<em></em>"])
def test_an_outcome_without_a_response_is_refused(cycle, moderator, response):
    proposal = make_proposal(cycle)
    with pytest.raises(DomainError) as refused:
        services.decide(proposal, outcome=NO, response=response, actor=moderator)
    assert refused.value.field == "response"
    assert proposal.state is ProposalState.SUBMITTED


def test_a_response_full_of_script_is_sanitised(cycle, moderator, client):
    proposal = make_proposal(cycle)
    services.decide(proposal, outcome=NO, actor=moderator,
                    response='<p onclick="x()">No cabe en este plan.</p><script>alert(1)</script>'
                             '<a href="javascript:alert(1)">ver</a>')
    assert "script" not in proposal.response and "onclick" not in proposal.response
    assert "javascript:" not in proposal.response
    page = client.get(url(cycle, f"/propuestas/{proposal.reference}")).get_data(as_text=True)
    assert "No cabe en este plan." in page and "<script>alert(1)" not in page


def test_each_final_outcome_is_a_transition_and_emails_the_author(cycle, moderator, db):
    proposal = make_proposal(cycle)
    services.decide(proposal, outcome=NO, response="Excede las competencias del Estado.", actor=moderator)
    assert proposal.state is NO
    assert history(proposal)[-1].to_state == "NOT_ACCEPTED"
    assert history(proposal)[-1].reason == "Excede las competencias del Estado."
    [mail] = mails(db, proposal.author.email)[-1:]
    assert proposal.reference in mail.subject and "Excede las competencias del Estado." in mail.body_text


def test_under_review_does_not_count_as_answered(cycle, moderator, db):
    proposal = make_proposal(cycle)
    before = len(mails(db))
    services.decide(proposal, outcome=ProposalState.UNDER_REVIEW, response="La revisa la mesa temática.",
                    actor=moderator)
    assert proposal.state is ProposalState.UNDER_REVIEW
    assert not services.is_answered(proposal)
    assert services.count_unanswered(cycle) == 1
    assert services.coverage(cycle).total.pending == 1
    assert len(mails(db)) == before  # holding is not an answer: nobody is told yet


def test_an_accepted_proposal_is_linked_to_its_commitment(cycle, moderator):
    first, second = make_proposal(cycle), make_proposal(cycle)
    commitment = make_commitment(cycle, from_proposals=[first], actor=moderator)
    services.decide(second, outcome=ProposalState.ACCEPTED, response="Se incorpora.", commitment=commitment,
                    actor=moderator)
    assert origin_proposals(commitment) == [first, second]
    assert commitments_of_proposal(second) == [commitment]
    with pytest.raises(DomainError) as refused:
        services.decide(make_proposal(cycle), outcome=ProposalState.ACCEPTED, response="Sí.", actor=moderator)
    assert refused.value.field == "commitment"


def test_a_correction_keeps_the_earlier_text_public(cycle, moderator, client, db):
    proposal = make_proposal(cycle)
    services.decide(proposal, outcome=NO, response="Primera respuesta, con un error.", actor=moderator)
    services.decide(proposal, outcome=NO, response="Respuesta corregida.", actor=moderator)
    first, second = services.responses_of(proposal)
    assert (first.kind, second.kind) == (ResponseKind.ANSWER, ResponseKind.CORRECTION)
    assert history(proposal)[-1].to_state == "RESPONSE_CORRECTED"
    page = client.get(url(cycle, f"/propuestas/{proposal.reference}")).get_data(as_text=True)
    assert "Primera respuesta, con un error." in page and "Respuesta corregida." in page
    assert len(mails(db, proposal.author.email)) == 3  # the receipt, the answer, the correction


def test_prepared_responses_stay_private_until_published_together(cycle, moderator, client, db):
    first, second = make_proposal(cycle), make_proposal(cycle)
    before = len(mails(db))
    for proposal in (first, second):
        services.decide(proposal, outcome=NO, response=f"Preparada para {proposal.reference}.", actor=moderator,
                        publish=False)
    assert first.state is ProposalState.SUBMITTED and len(mails(db)) == before
    assert services.prepared(cycle) == [first, second]
    page = client.get(url(cycle, f"/propuestas/{first.reference}")).get_data(as_text=True)
    assert f"Preparada para {first.reference}." not in page
    services.publish_prepared([first, second], actor=moderator)
    assert first.state is NO and second.state is NO and services.prepared(cycle) == []
    assert len(mails(db)) == before + 2


def test_two_moderators_editing_one_response_get_changed_meanwhile(cycle, moderator):
    other = make_moderator(cycle.jurisdiction)
    proposal = make_proposal(cycle)
    shown = 0  # both opened the page before anybody saved
    services.decide(proposal, outcome=NO, response="El texto de la otra moderadora.", actor=other, publish=False,
                    version=shown)
    with pytest.raises(services.StaleResponse) as refused:
        services.decide(proposal, outcome=NO, response="Mi texto.", actor=moderator, version=shown)
    assert refused.value.current == "El texto de la otra moderadora."
    assert services.handling_of(proposal).draft_text == "El texto de la otra moderadora."
    assert proposal.state is ProposalState.SUBMITTED


def test_the_stale_refusal_through_the_page_shows_both_texts(cycle, moderator, login_as):
    proposal = make_proposal(cycle)
    client = login_as(moderator)
    page = url(cycle, f"/triaje/{proposal.reference}")
    services.decide(proposal, outcome=NO, response="Texto guardado por otra persona.",
                    actor=make_moderator(cycle.jurisdiction), publish=False)
    answer = send(client, page, {"outcome": "NOT_ACCEPTED", "response": "Mi texto escrito.", "version": "0",
                                 "publish": "1"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Mi texto escrito." in text and "Texto guardado por otra persona." in text
    assert proposal.state is ProposalState.SUBMITTED
    assert 'name="version" type="hidden" value="1"' in text or 'value="1"' in text


# --- merges ---------------------------------------------------------------------------------------

def test_a_merged_proposal_stays_in_the_register_and_exports_with_its_link(cycle, moderator, client, db):
    kept, merged = make_proposal(cycle, title="Portal de datos"), make_proposal(cycle, title="Datos abiertos ya")
    services.merge(merged, into=kept, response="Dice lo mismo que {codigo}.", actor=moderator)
    assert merged.state is ProposalState.MERGED and merged.merged_into == kept
    assert merged in db.session.scalars(received(cycle)).all() and received_count(cycle) == 2
    row = next(row for row in export_rows(cycle) if row["reference"] == merged.reference)
    assert row["state"] == "MERGED" and row["merged_into"] == kept.reference
    exported = json.loads(client.get(url(cycle, "/propuestas/exportar.json")).get_data())
    assert {"reference": merged.reference, "merged_into": kept.reference}.items() <= next(
        item for item in exported["proposals"] if item["reference"] == merged.reference).items()
    page = client.get(url(cycle, f"/propuestas/{merged.reference}")).get_data(as_text=True)
    assert f"/propuestas/{kept.reference}" in page and merged.public_author in page
    target_page = client.get(url(cycle, f"/propuestas/{kept.reference}")).get_data(as_text=True)
    assert f"/propuestas/{merged.reference}" in target_page
    assert any(merged.reference in mail.subject for mail in mails(db, merged.author.email))


def test_undoing_a_merge_restores_the_state_and_the_response(cycle, moderator, db):
    kept, merged = make_proposal(cycle), make_proposal(cycle)
    services.decide(merged, outcome=NO, response="No acogida, por ahora.", actor=moderator)
    services.merge(merged, into=kept, response="Integrada en la otra.", actor=moderator)
    services.undo_merge(merged, actor=moderator, reason="Se fusionó por error.")
    assert merged.state is NO and merged.merged_into is None
    assert merged.response == "No acogida, por ahora."
    assert [row.kind for row in services.responses_of(merged)] == [ResponseKind.ANSWER, ResponseKind.CORRECTION,
                                                                   ResponseKind.RESTORED]
    assert services.integrated_into(kept) == []
    assert "Se fusionó por error." in mails(db, merged.author.email)[-1].body_text
    with pytest.raises(DomainError):
        services.undo_merge(merged, actor=moderator)


def test_undoing_the_merge_of_an_unanswered_proposal_leaves_it_unanswered(cycle, moderator):
    kept, merged = make_proposal(cycle), make_proposal(cycle)
    services.merge(merged, into=kept, response="Integrada.", actor=moderator)
    services.undo_merge(merged, actor=moderator)
    assert merged.state is ProposalState.SUBMITTED and merged.response is None
    assert services.count_unanswered(cycle) == 2


def test_merge_cycles_self_merges_and_cross_cycle_merges_are_refused(cycle, moderator):
    first, second = make_proposal(cycle), make_proposal(cycle)
    services.merge(first, into=second, response="Integrada.", actor=moderator)
    with pytest.raises(DomainError, match=first.reference) as refused:
        services.merge(second, into=first, response="Y al revés.", actor=moderator)
    assert refused.value.field == "merged_into"
    assert second.state is ProposalState.SUBMITTED
    with pytest.raises(DomainError) as refused:
        services.merge(second, into=second, response="En sí misma.", actor=moderator)
    assert refused.value.field == "merged_into"
    elsewhere = make_proposal(make_intake_cycle(cycle.jurisdiction))
    with pytest.raises(DomainError):
        services.merge(second, into=elsewhere, response="A otro ciclo.", actor=moderator)
    with pytest.raises(DomainError):
        services.merge(second, into=elsewhere.reference, response="A otro ciclo.", actor=moderator)


def test_a_merged_proposal_is_moved_elsewhere_only_after_an_undo(cycle, moderator):
    first, second, third = make_proposal(cycle), make_proposal(cycle), make_proposal(cycle)
    services.merge(first, into=second, response="Integrada.", actor=moderator)
    with pytest.raises(DomainError, match=second.reference) as refused:
        services.merge(first, into=third, response="A la tercera.", actor=moderator)
    assert refused.value.field == "merged_into"
    with pytest.raises(DomainError):
        services.decide(first, outcome=NO, response="Otra cosa.", actor=moderator)
    services.merge(first, into=second, response="Integrada, con mejor texto.", actor=moderator)
    assert services.responses_of(first)[-1].kind is ResponseKind.CORRECTION


# --- templates and bulk actions -------------------------------------------------------------------

def test_a_template_with_an_unknown_placeholder_is_refused(cycle, moderator):
    with pytest.raises(DomainError, match=r"\{nombre\}") as refused:
        services.create_template(cycle.jurisdiction, name="Gracias", text="Gracias {nombre}.", actor=moderator)
    assert refused.value.field == "text"
    template = services.create_template(cycle.jurisdiction, name="Gracias", outcome="NOT_ACCEPTED", actor=moderator,
                                        text="Gracias, {autor}: su propuesta {codigo} no se acoge.")
    assert template.state is TemplateState.ACTIVE
    with pytest.raises(PermissionDenied):
        services.create_template(cycle.jurisdiction, name="Otra", text="x", actor=make_moderator())


def test_placeholders_are_filled_and_escaped(cycle, moderator):
    proposal = make_proposal(cycle, author=make_user(display_name="Ana <b>Díaz</b>"))
    commitment = make_commitment(cycle, number=4, name="Municipios abiertos", actor=moderator)
    text = services.fill("{autor}: {codigo} va al {compromiso}.", proposal, commitment=commitment)
    assert text == f"Ana &lt;b&gt;Díaz&lt;/b&gt;: {proposal.reference} va al N° 4, “Municipios abiertos”."
    with pytest.raises(DomainError) as refused:
        services.fill("Integrada en {propuesta_destino}.", proposal)
    assert refused.value.field == "merged_into"


def test_a_bulk_action_over_50_proposals_writes_50_history_rows_and_50_emails(cycle, moderator, db):
    chosen = [make_proposal(cycle) for _ in range(50)]
    template = services.create_template(cycle.jurisdiction, name="No acogida", actor=moderator,
                                        text="Estimada/o {autor}: la propuesta {codigo} no se acoge en este plan.")
    emails_before = len(mails(db))
    rows_before = db.session.scalar(select(func.count(StateChange.id)).where(StateChange.to_state == "NOT_ACCEPTED"))
    previews = services.preview(chosen, outcome="NOT_ACCEPTED", template=template)
    assert [item.error for item in previews] == [None] * 50
    assert chosen[7].reference in previews[7].response and chosen[7].public_author in previews[7].response
    assert len(mails(db)) == emails_before  # a preview writes nothing

    services.bulk_decide(chosen, outcome="NOT_ACCEPTED", template=template, actor=moderator)
    rows = db.session.scalar(select(func.count(StateChange.id)).where(StateChange.to_state == "NOT_ACCEPTED"))
    assert rows - rows_before == 50
    sent = mails(db)[emails_before:]
    assert len(sent) == 50
    assert sorted(mail.recipient for mail in sent) == sorted(p.author.email for p in chosen)
    assert all(p.state is NO for p in chosen)


def test_a_bulk_action_is_all_or_nothing_and_names_the_refused_proposal(cycle, moderator, db):
    fine, withdrawn = make_proposal(cycle), make_proposal(cycle)
    withdraw(withdrawn, reason=WithdrawalReason.DUPLICATE, actor=withdrawn.author)
    with pytest.raises(DomainError, match=withdrawn.reference):
        services.bulk_decide([fine, withdrawn], outcome="NOT_ACCEPTED", template="No, {autor}.", actor=moderator)
    assert fine.state is ProposalState.SUBMITTED
    previews = services.preview([fine, withdrawn], outcome="NOT_ACCEPTED", template="No se acoge: {compromiso}.")
    assert all(item.error for item in previews)


# --- notes ----------------------------------------------------------------------------------------

def test_notes_appear_in_no_public_page_or_export(cycle, moderator, client, db):
    proposal = make_proposal(cycle)
    services.add_note(proposal, text="NOTA-PRIVADA-8813: llamar a la autora", actor=moderator)
    services.decide(proposal, outcome=NO, response="No se acoge.", actor=moderator)
    public = [url(cycle, f"/propuestas/{proposal.reference}"), url(cycle, "/propuestas"),
              url(cycle, "/propuestas/exportar.csv"), url(cycle, "/propuestas/exportar.json"), url(cycle, "/cobertura"),
              url(cycle, "/cobertura/propuestas?grupo=respondidas")]
    for page in public:
        assert b"NOTA-PRIVADA-8813" not in client.get(page).get_data(), page
    assert "NOTA-PRIVADA-8813" not in json.dumps(export_rows(cycle), ensure_ascii=False)
    assert all("NOTA-PRIVADA-8813" not in row.reason for row in history(proposal, public_only=True))
    with pytest.raises(PermissionDenied):
        services.add_note(proposal, text="x", actor=make_moderator())


# --- the gate -------------------------------------------------------------------------------------

def test_the_consultation_stays_shut_naming_the_unanswered_proposal(cycle, moderator):
    answered, waiting = make_proposal(cycle), make_proposal(cycle)
    services.decide(answered, outcome=NO, response="No.", actor=moderator)
    services.decide(waiting, outcome=ProposalState.UNDER_REVIEW, response="En revisión.", actor=moderator)
    today = local_today()
    phase = make_phase(cycle, PhaseKind.CONSULTATION, first_day=today - timedelta(days=1),
                       last_day=today + timedelta(days=20))
    with pytest.raises(DomainError, match=waiting.reference) as refused:
        open_phase(phase, actor=None)
    assert answered.reference not in refused.value.message
    assert phase.state is PhaseState.SCHEDULED
    services.decide(waiting, outcome=NO, response="Finalmente no.", actor=moderator)
    open_phase(phase, actor=None)
    assert phase.state is PhaseState.OPEN


def test_withdrawn_proposals_do_not_hold_the_consultation(cycle, moderator):
    proposal = make_proposal(cycle)
    withdraw(proposal, reason=WithdrawalReason.DUPLICATE, actor=proposal.author)
    assert services.count_unanswered(cycle) == 0
    tally = services.coverage(cycle).total
    assert (tally.received, tally.answered, tally.withdrawn, tally.pending) == (1, 0, 1, 0)


# --- queue, clusters, coverage --------------------------------------------------------------------

def test_the_queue_filters_counts_and_gives_the_next_unanswered(cycle, moderator, login_as, db):
    first, second, third = (make_proposal(cycle) for _ in range(3))
    services.decide(first, outcome=NO, response="No.", actor=moderator)
    other = make_moderator(cycle.jurisdiction)
    services.claim(second, actor=other)
    assert services.next_unanswered(cycle, actor=moderator) == third
    assert services.next_unanswered(cycle, actor=other) == second
    assert db.session.scalars(services.queue(cycle, unanswered_only=True, sort="-numero")).all() == [third, second]
    assert db.session.scalars(services.queue(cycle, assignee=other)).all() == [second]
    client = login_as(moderator)
    page = client.get(url(cycle, "/triaje?unanswered=y")).get_data(as_text=True)
    assert second.reference in page and third.reference in page and first.reference + ":" not in page
    assert client.get(url(cycle, "/triaje/siguiente")).headers["Location"].endswith(f"/triaje/{third.reference}")
    mine = client.get(url(cycle, "/triaje?mine=y")).get_data(as_text=True)
    assert third.reference not in mine


def test_assignment_goes_only_to_the_jurisdictions_moderators(cycle, moderator):
    proposal = make_proposal(cycle)
    with pytest.raises(DomainError):
        services.assign(proposal, to=make_moderator(), actor=moderator)
    colleague = make_moderator(cycle.jurisdiction)
    assert services.assign(proposal, to=colleague, actor=moderator).assignee_id == colleague.id
    assert colleague in services.moderators_of(cycle.jurisdiction)


def test_clusters_group_the_proposals_that_say_nearly_the_same(cycle, moderator):
    text = {"problem": "Los vecinos no saben en qué se gasta el presupuesto municipal.",
            "body": "Publicar el presupuesto municipal detallado y su ejecución mensual en datos abiertos."}
    twins = [make_proposal(cycle, title="Presupuesto municipal abierto", **text) for _ in range(3)]
    make_proposal(cycle, title="Consejos de la sociedad civil", problem="Los cosoc no funcionan.",
                  body="Fortalecer los consejos de la sociedad civil con recursos y capacitación.")
    [group] = services.clusters(cycle)
    assert group == twins
    services.bulk_decide(group[1:], outcome="MERGED", merged_into=group[0], actor=moderator,
                         template="Gracias {autor}: su propuesta se integra en {propuesta_destino}.")
    assert services.integrated_into(group[0]) == group[1:]
    assert services.clusters(cycle) == []


def test_coverage_by_sector_area_channel_and_table(cycle, moderator):
    modernisation = areas(cycle)[1]
    answered = make_proposal(cycle, area=modernisation)
    pending = make_proposal(cycle)
    table = make_table(cycle, actor=moderator)
    from consulta.tables.models import TableProposal
    from consulta.extensions import db

    db.session.add(TableProposal(table_id=table.id, proposal_id=pending.id))
    services.decide(answered, outcome=NO, response="No.", actor=moderator)
    coverage = services.coverage(cycle)
    assert (coverage.total.received, coverage.total.answered, coverage.total.pending) == (2, 1, 1)
    assert dict(coverage.sector)[Sector.CIUDADANIA].received == 2
    assert dict((area.name, tally.answered) for area, tally in coverage.area)[modernisation.name] == 1
    assert dict(coverage.channel)[Channel.FORM].pending == 1
    by_table = dict(coverage.table)
    assert by_table[table].pending == 1 and by_table[None].answered == 1
    listed = db.session.scalars(services.coverage_list(cycle, "pendientes", table=table.id)).all()
    assert listed == [pending]


def test_the_coverage_page_and_asked_said_done(cycle, moderator, client):
    first, second, third = (make_proposal(cycle) for _ in range(3))
    commitment = make_commitment(cycle, number=4, name="Municipios abiertos", area=first.area, actor=moderator)
    services.bulk_decide([first, second], outcome="ACCEPTED", commitment=commitment, actor=moderator,
                         template="Incorporada en el {compromiso}.")
    [row] = services.asked_said_done(cycle)
    assert row.received == 3 and row.outcomes[ProposalState.ACCEPTED] == 2
    assert row.commitments == [(commitment, 2)]
    page = client.get(url(cycle, "/cobertura")).get_data(as_text=True)
    assert "Municipios abiertos" in page and "grupo=pendientes" in page
    listing = client.get(url(cycle, "/cobertura/propuestas?grupo=pendientes")).get_data(as_text=True)
    assert third.reference in listing and first.reference not in listing


# --- pages and permissions ------------------------------------------------------------------------

def test_moderators_of_another_jurisdiction_get_403_and_visitors_the_login(cycle, moderator, client, login_as):
    proposal = make_proposal(cycle)
    pages = [url(cycle, "/triaje"), url(cycle, f"/triaje/{proposal.reference}"), url(cycle, "/triaje/lote"),
             url(cycle, "/triaje/grupos"), url(cycle, "/triaje/preparadas"), url(cycle, "/triaje/siguiente"),
             f"/j/{cycle.jurisdiction.slug}/admin/plantillas-respuesta"]
    for page in pages:
        assert "/cuenta/" in client.get(page).headers["Location"]
    login_as(make_moderator())
    for page in pages:
        assert client.get(page).status_code == 403, page
    assert client.post(url(cycle, f"/triaje/{proposal.reference}/nota"), data={"text": "x"}).status_code == 403
    assert client.get(url(cycle, "/cobertura")).status_code == 200


def test_a_moderator_answers_through_the_pages(cycle, moderator, login_as, db):
    proposal = make_proposal(cycle)
    client = login_as(moderator)
    page = url(cycle, f"/triaje/{proposal.reference}")
    refused = send(client, page, {"outcome": "NOT_ACCEPTED", "response": " ", "version": "0", "publish": "1"})
    assert refused.status_code == 200 and proposal.state is ProposalState.SUBMITTED
    saved = send(client, page, {"outcome": "NOT_ACCEPTED", "response": "No se acoge.", "version": "0",
                                "publish": "1"})
    assert saved.status_code == 302 and proposal.state is NO
    noted = send(client, f"{page}/nota", {"text": "Revisar con el CPLT."}, page=page)
    assert noted.status_code == 302
    assert "Revisar con el CPLT." in client.get(page).get_data(as_text=True)


def test_a_bulk_action_through_the_pages_previews_then_publishes(cycle, moderator, login_as):
    chosen = [make_proposal(cycle) for _ in range(3)]
    template = services.create_template(cycle.jurisdiction, name="Gracias", actor=moderator,
                                        text="Gracias, {autor}. {codigo} no se acoge.")
    client = login_as(moderator)
    references = ",".join(p.reference for p in chosen)
    page = url(cycle, "/triaje/lote?" + "&".join(f"propuesta={p.reference}" for p in chosen))
    fields = {"proposals": references, "outcome": "NOT_ACCEPTED", "template": str(template.id), "text": ""}
    preview = send(client, url(cycle, "/triaje/lote"), fields | {"preview": "1"}, page=page)
    text = preview.get_data(as_text=True)
    assert all(f"{p.reference} no se acoge." in text for p in chosen)
    assert all(p.state is ProposalState.SUBMITTED for p in chosen)
    published = send(client, url(cycle, "/triaje/lote"), fields | {"publish": "1"}, page=page)
    assert published.status_code == 302
    assert all(p.state is NO for p in chosen)
