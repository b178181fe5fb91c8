"""Proposals: the formulario único, drafts, the review step and its similar proposals, sending
(references, receipts, double posts, windows per sector), edits and versions, withdrawals, other
channels, inadmissibility, the public register, its exports, moderators' pages and bad input."""
import csv
import io
import json
import re
import time
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from consulta.accounts.services import close_account
from consulta.core.audit import history
from consulta.core.errors import DomainError, WindowClosed
from consulta.core.i18n import local_datetime
from consulta.core.outbox import OutboxEmail
from consulta.core.sectors import Sector
from consulta.core.windows import window_from_dates
from consulta.cycles.models import PhaseKind, PhaseState
from consulta.proposals import services, similarity
from consulta.proposals.models import (Attachment, Channel, Draft, OgpValue, Proposal, ProposalState,
                                       WithdrawalReason, proposal_term)
from tests.factories import (make_area, make_cycle, make_draft, make_intake_cycle, make_moderator, make_national,
                             make_organisation, make_phase, make_proposal, make_proposals, make_representation,
                             make_user)
from tests.support.concurrency import run_together

SECOND = timedelta(seconds=1)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key"[^>]*value="([0-9a-f]{32})"')
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def path(cycle, *parts) -> str:
    return "/".join([f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/propuestas", *parts])


def page_of(proposal) -> str:
    return path(proposal.cycle, proposal.reference)


def in_english(client):
    """Messages are checked in English: the Spanish catalogue is filled in separately."""
    with client.session_transaction() as session:
        session["lang"] = "en"


def token(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return CSRF.search(page.get_data(as_text=True)).group(1)


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def form_data(cycle, **overrides) -> dict:
    data = {"title": "Ciclovías seguras", "problem": "Los ciclistas no tienen vías protegidas.",
            "body": "Construir una red de ciclovías protegidas y publicar su avance.",
            "area": str(services.areas(cycle)[0].id), "values": ["PARTICIPACION"], "entity_name": "",
            "organisation": "", "review": "1"}
    data.update(overrides)
    return data


def intake(cycle):
    return cycle.phase(PhaseKind.INTAKE)


def mails(db, to=None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.recipient == to)
    return list(db.session.scalars(query))


# --- thematic areas ------------------------------------------------------------------------------

def test_a_cycle_lists_its_thematic_areas_in_the_order_they_were_added(db):
    cycle = make_cycle()
    names = ["Recursos naturales y medio ambiente", "Políticas sociales y educacionales", "Modernización del Estado",
             "Transparencia e integridad"]
    for name in names:
        services.add_area(cycle, name=name, actor=None)
    assert [area.name for area in services.areas(cycle)] == names
    with pytest.raises(DomainError) as refused:
        services.add_area(cycle, name="Modernización del Estado", actor=None)
    assert refused.value.field == "name"
    assert [row.to_state for row in history(services.areas(cycle)[0])] == ["CREATED"]


# --- sending -------------------------------------------------------------------------------------

def test_sending_gives_a_reference_a_history_row_a_first_version_and_a_receipt(db):
    cycle = make_intake_cycle(code="PA4")
    author = make_user(email="ana@example.org")
    first = make_proposal(cycle, author=author, title="Datos abiertos municipales")
    second = make_proposal(cycle)
    assert (first.reference, second.reference) == ("PA4-0001", "PA4-0002")
    assert first.state is ProposalState.SUBMITTED and first.channel is Channel.FORM
    [sent] = history(first)
    assert (sent.from_state, sent.to_state, sent.actor_id) == (None, "SUBMITTED", author.id)
    [version] = first.versions
    assert (version.number, version.title) == (1, "Datos abiertos municipales")
    [receipt] = mails(db, to="ana@example.org")
    assert "PA4-0001" in receipt.subject and "PA4-0001" in receipt.body_text
    assert page_of(first) in receipt.body_text


def test_references_are_unique_in_the_jurisdiction_and_count_per_cycle(db):
    cycle = make_intake_cycle(code="PA3")
    later = make_intake_cycle(cycle.jurisdiction, code="PA4")
    references = [make_proposal(cycle).reference, make_proposal(later).reference, make_proposal(cycle).reference]
    assert references == ["PA3-0001", "PA4-0001", "PA3-0002"]


def third_plan():
    """The 3rd plan's intake: OSC 21 April–25 May 2016, agencies 2 May–15 June 2016, nobody else."""
    cycle = make_cycle(code="PA3", starts_on=date(2016, 1, 1), ends_on=date(2018, 6, 30))
    tz = cycle.jurisdiction.timezone
    osc = window_from_dates(date(2016, 4, 21), date(2016, 5, 25), tz)
    agencies = window_from_dates(date(2016, 5, 2), date(2016, 6, 15), tz)
    phase = make_phase(cycle, window=None, sector_windows={Sector.OSC: osc, Sector.SERVICIO_PUBLICO: agencies})
    from consulta.core.audit import transition

    transition(phase, PhaseState.OPEN, actor=None)
    make_area(cycle, name="Transparencia e integridad")
    return cycle, osc, agencies


@pytest.mark.parametrize("sector, moment, accepted", [
    (Sector.OSC, "osc_opens - 1s", False),
    (Sector.OSC, "osc_opens", True),
    (Sector.OSC, "osc_closes - 1s", True),
    (Sector.OSC, "osc_closes", False),
    (Sector.OSC, "osc_closes + 1s", False),
    (Sector.SERVICIO_PUBLICO, "osc_closes", True),
    (Sector.SERVICIO_PUBLICO, "agencies_closes - 1s", True),
    (Sector.SERVICIO_PUBLICO, "agencies_closes", False),
    (Sector.CIUDADANIA, "osc_opens", False),
])
def test_each_sector_sends_inside_its_own_window_to_the_second(db, app, clock, sector, moment, accepted):
    cycle, osc, agencies = third_plan()
    instants = {"osc_opens": osc.opens_at, "osc_closes": osc.closes_at, "agencies_closes": agencies.closes_at}
    name, _, shift = moment.partition(" ")
    at = instants[name] + {"": timedelta(0), "- 1s": -SECOND, "+ 1s": SECOND}[shift]
    organisation = None if sector is Sector.CIUDADANIA else make_organisation(sector=sector)
    author = organisation.representations[0].user if organisation else make_user()
    clock.at(at)
    if accepted:
        proposal = make_proposal(cycle, author=author, organisation=organisation)
        assert proposal.sector is sector
        assert services.received_count(cycle) == 1
    else:
        with pytest.raises(DomainError):
            make_proposal(cycle, author=author, organisation=organisation)
        assert services.received_count(cycle) == 0


def test_a_refusal_at_the_closing_instant_names_the_local_closing_time(db, app, clock):
    cycle, osc, _agencies = third_plan()
    organisation = make_organisation(sector=Sector.OSC)
    clock.at(osc.closes_at)
    with app.test_request_context("/?lang=es"):
        with pytest.raises(WindowClosed) as refused:
            make_proposal(cycle, author=organisation.representations[0].user, organisation=organisation)
        assert "26 de mayo de 2016, 00:00:00" in refused.value.message
        assert local_datetime(osc.closes_at, "America/Santiago", "long") in refused.value.message


def test_a_late_send_is_refused_with_the_closing_time_and_keeps_the_text_in_the_page_and_the_drafts(
        db, app, client, login_as, clock):
    cycle = make_intake_cycle()
    author = make_user()
    draft = make_draft(cycle, author, title="Ciclovías seguras en la comuna",
                       body="Una red de ciclovías protegidas, con su avance publicado cada mes.")
    login_as(author)
    in_english(client)
    review = path(cycle, "borradores", str(draft.id), "revisar")
    page = client.get(review).get_data(as_text=True)
    key = KEY.search(page).group(1)
    csrf = CSRF.search(page).group(1)
    clock.at(intake(cycle).closes_at)
    response = client.post(review, data={"csrf_token": csrf, "idempotency_key": key})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("en"):
            closing = local_datetime(intake(cycle).closes_at, cycle.jurisdiction.timezone, "long")
    assert f"This closed on {closing}" in html
    assert "Ciclovías seguras en la comuna" in html and "con su avance publicado cada mes" in html
    assert services.received_count(cycle) == 0
    assert [d.id for d in services.drafts_of(author, cycle)] == [draft.id]
    reopened = client.get(review).get_data(as_text=True)
    assert f"This closed on {closing}" in reopened and "Ciclovías seguras en la comuna" in reopened
    assert "Ciclovías seguras en la comuna" in client.get(path(cycle, "borradores")).get_data(as_text=True)
    # One second earlier the same page sends it.
    clock.at(intake(cycle).closes_at - SECOND)
    sent = client.post(review, data={"csrf_token": csrf, "idempotency_key": key})
    assert sent.status_code == 302 and services.received_count(cycle) == 1


def test_the_form_saves_a_draft_even_after_the_window_closed(db, client, login_as, clock):
    cycle = make_intake_cycle()
    author = make_user()
    login_as(author)
    csrf = token(client, path(cycle, "nueva"))
    clock.at(intake(cycle).closes_at + SECOND)
    response = client.post(path(cycle, "nueva"), data={**form_data(cycle, title="Escrito tarde"), "csrf_token": csrf,
                                                        "save": "1", "review": ""})
    assert response.status_code == 302
    [draft] = services.drafts_of(author, cycle)
    assert draft.title == "Escrito tarde"


# --- the form, the review step, double posts ----------------------------------------------------

def test_a_person_drafts_reviews_and_sends_once_even_when_the_send_is_posted_twice(db, client, login_as):
    cycle = make_intake_cycle()
    author = make_user(email="sofia@example.org")
    login_as(author)
    in_english(client)
    csrf = token(client, path(cycle, "nueva"))
    saved = client.post(path(cycle, "nueva"), data={**form_data(cycle), "csrf_token": csrf})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/revisar")
    [draft] = services.drafts_of(author, cycle)
    review = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Ciclovías seguras" in review and "Similar proposals already received" in review
    data = {"csrf_token": CSRF.search(review).group(1), "idempotency_key": KEY.search(review).group(1)}
    first = client.post(saved.headers["Location"], data=data)
    second = client.post(saved.headers["Location"], data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert services.received_count(cycle) == 1
    assert len(mails(db, to="sofia@example.org")) == 1
    assert services.drafts_of(author, cycle) == [] and db.session.get(Draft, draft.id).is_sent
    detail = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Ciclovías seguras" in detail and "Citizen participation" in detail


def test_the_same_key_posted_again_gives_the_first_proposal_even_after_the_window_closed(db, clock):
    cycle = make_intake_cycle()
    author = make_user()
    key = services.new_idempotency_key()
    clock.at(intake(cycle).closes_at - SECOND)
    first = make_proposal(cycle, author=author, idempotency_key=key)
    clock.at(intake(cycle).closes_at + SECOND)  # the second post of a double click arrives late
    again = make_proposal(cycle, author=author, idempotency_key=key, title="Otro título")
    assert again.id == first.id and again.title == first.title and services.received_count(cycle) == 1
    with pytest.raises(DomainError):
        make_proposal(cycle, idempotency_key=key)


def test_nobody_sends_in_another_persons_name(db):
    from consulta.core.errors import PermissionDenied

    cycle = make_intake_cycle()
    with pytest.raises(PermissionDenied):
        make_proposal(cycle, author=make_user(), actor=make_moderator(cycle.jurisdiction))
    assert services.received_count(cycle) == 0


def test_missing_fields_are_marked_when_asking_to_review_and_the_draft_keeps_what_was_typed(db, client, login_as):
    cycle = make_intake_cycle()
    author = make_user()
    login_as(author)
    in_english(client)
    csrf = token(client, path(cycle, "nueva"))
    response = client.post(path(cycle, "nueva"), data={**form_data(cycle, body="", values=[]), "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Write the proposal." in html and "Choose at least one of the Open Government values" in html
    assert "Ciclovías seguras" in html
    [draft] = services.drafts_of(author, cycle)
    assert draft.title == "Ciclovías seguras"
    assert f'action="{path(cycle, "borradores", str(draft.id))}"' in html


@pytest.mark.concurrency
def test_concurrent_senders_get_distinct_references_and_a_doubled_post_one_proposal(app, committed_db):
    db = committed_db
    cycle = make_intake_cycle()
    authors = [make_user() for _ in range(6)]
    area_id = services.areas(cycle)[0].id
    db.session.commit()
    cycle_id = cycle.id
    author_ids = [author.id for author in authors]
    db.session.commit()  # end the read: on SQLite it would keep seeing the database as it was
    shared_key = services.new_idempotency_key()
    jobs = [(author_id, None) for author_id in author_ids[:4]] + [(author_ids[4], shared_key)] * 3

    def send(job):
        from consulta.accounts.models import User
        from consulta.cycles.models import Cycle

        author_id, key = jobs[job]
        with app.app_context():
            last = None
            for attempt in range(20):
                try:
                    services.submit_proposal(
                        cycle=db.session.get(Cycle, cycle_id), author=db.session.get(User, author_id),
                        actor=db.session.get(User, author_id), title="Propuesta simultánea",
                        problem="Un problema.", body="Una propuesta.", area=area_id,
                        values=[OgpValue.TRANSPARENCIA], idempotency_key=key)
                    db.session.commit()
                    return
                except Exception as error:
                    # SQLite refuses a writer whose snapshot is stale; the request would be retried.
                    db.session.rollback()
                    if "database is locked" not in str(error) and "snapshot" not in str(error):
                        raise
                    last = error
                    time.sleep(0.02 * (attempt + 1))
            raise last

    _results, errors = run_together(len(jobs), send)
    assert errors == []
    numbers = db.session.scalars(select(Proposal.number).where(Proposal.cycle_id == cycle_id)
                                 .order_by(Proposal.number)).all()
    assert numbers == [1, 2, 3, 4, 5], "a number was given twice, skipped, or the doubled post made two"
    assert db.session.scalar(select(func.count()).select_from(Proposal)
                             .where(Proposal.idempotency_key == shared_key)) == 1


# --- organisations and sectors -------------------------------------------------------------------

def test_a_verified_representative_sends_for_the_organisation_and_its_sector(db):
    cycle = make_intake_cycle()
    organisation = make_organisation(sector=Sector.OSC, name="Fundación Ciudad Abierta")
    proposal = make_proposal(cycle, author=organisation.representations[0].user, organisation=organisation)
    assert proposal.sector is Sector.OSC and proposal.public_author == "Fundación Ciudad Abierta"


def test_an_organisation_proposal_is_refused_for_a_representative_not_yet_verified(db, client, login_as):
    cycle = make_intake_cycle()
    pending = make_representation(verified=False, sector=Sector.OSC)
    with pytest.raises(DomainError) as refused:
        make_proposal(cycle, author=pending.user, organisation=pending.organisation)
    assert refused.value.field == "organisation"
    # On the page the organisation is not offered, and a forged choice is refused with the text kept.
    login_as(pending.user)
    in_english(client)
    csrf = token(client, path(cycle, "nueva"))
    assert pending.organisation.name not in client.get(path(cycle, "nueva")).get_data(as_text=True)
    response = client.post(path(cycle, "nueva"), data={**form_data(cycle, organisation=str(pending.organisation.id)),
                                                        "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not a valid choice" in html and "Ciclovías seguras" in html
    assert services.drafts_of(pending.user, cycle) == [] and services.received_count(cycle) == 0


def _content(proposal, **overrides) -> dict:
    content = {"title": proposal.title, "problem": proposal.problem, "body": proposal.body, "area": proposal.area,
               "values": proposal.values, "entity_name": proposal.entity_name}
    content.update(overrides)
    return content


# --- attachments ---------------------------------------------------------------------------------

def test_attachments_are_checked_by_content_and_size_and_limited_to_three(db):
    cycle = make_intake_cycle()
    author = make_user()
    with pytest.raises(DomainError) as wrong:
        make_draft(cycle, author, uploads=[upload(b"MZ\x90\x00 not a pdf at all", "informe.pdf")])
    assert wrong.value.field == "attachments" and "informe.pdf" in wrong.value.message
    with pytest.raises(DomainError) as large:
        make_draft(cycle, author, uploads=[upload(PDF + b"0" * (5 * 1024 * 1024), "grande.pdf")])
    assert "grande.pdf" in large.value.message and "5.0 MB" in large.value.message
    with pytest.raises(DomainError) as many:
        make_draft(cycle, author, uploads=[upload(PDF, f"{n}.pdf") for n in range(4)])
    assert many.value.field == "attachments"
    draft = make_draft(cycle, author, uploads=[upload(PDF, "acta.pdf"), upload(PNG, "foto.png")])
    assert [(a.original_name, a.content_type) for a in draft.attachments] == [
        ("acta.pdf", "application/pdf"), ("foto.png", "image/png")]
    proposal = services.send_draft(draft, idempotency_key=services.new_idempotency_key(), actor=author)
    assert [a.original_name for a in proposal.attachments] == ["acta.pdf", "foto.png"]


def test_a_file_taken_off_a_draft_is_kept_but_not_sent(db):
    cycle = make_intake_cycle()
    author = make_user()
    draft = make_draft(cycle, author, uploads=[upload(PDF, "acta.pdf"), upload(PNG, "foto.png")])
    photo = next(a for a in draft.attachments if a.original_name == "foto.png")
    draft = make_draft(cycle, author, draft=draft, remove_attachments=[photo.id], uploads=[upload(PDF, "otra.pdf")])
    assert [a.original_name for a in draft.attachments] == ["acta.pdf", "otra.pdf"]
    proposal = services.send_draft(draft, idempotency_key=services.new_idempotency_key(), actor=author)
    assert [a.original_name for a in proposal.attachments] == ["acta.pdf", "otra.pdf"]
    assert db.session.get(Attachment, photo.id).removed_at is not None


def test_a_refused_attachment_is_explained_on_the_page_which_keeps_the_text(db, client, login_as):
    cycle = make_intake_cycle()
    login_as(make_user())
    in_english(client)
    csrf = token(client, path(cycle, "nueva"))
    response = client.post(path(cycle, "nueva"), content_type="multipart/form-data", data={
        **form_data(cycle, title="Con un adjunto falso"), "csrf_token": csrf,
        "attachments": [(io.BytesIO(b"<html>not a pdf</html>"), "<b onclick=x>acta.pdf")]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not an accepted type of file" in html and "Con un adjunto falso" in html
    assert "&lt;b onclick=x&gt;acta.pdf" in html and "<b onclick" not in html


def test_an_attachment_name_with_markup_is_shown_as_text_and_served_as_a_download(db, client):
    cycle = make_intake_cycle()
    author = make_user()
    draft = make_draft(cycle, author, uploads=[upload(PDF, '<img src=x onerror=alert(1)>.pdf')])
    proposal = services.send_draft(draft, idempotency_key=services.new_idempotency_key(), actor=author)
    html = client.get(page_of(proposal)).get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.pdf" in html
    [attachment] = proposal.attachments
    served = client.get(page_of(proposal) + f"/adjuntos/{attachment.id}")
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")


# --- drafts are private --------------------------------------------------------------------------

def test_drafts_are_never_public_counted_searched_or_exported(db, client, login_as):
    cycle = make_intake_cycle()
    owner = make_user()
    make_proposal(cycle, title="Propuesta enviada")
    draft = make_draft(cycle, owner, title="Borrador reservado")
    assert services.received_count(cycle) == 1
    assert services.received_count(cycle, q="reservado") == 0
    register = client.get(path(cycle)).get_data(as_text=True)
    assert "Propuesta enviada" in register and "Borrador reservado" not in register
    for fmt in ("csv", "json", "xlsx"):
        body = client.get(path(cycle, f"exportar.{fmt}")).data
        text = _xlsx_text(body) if fmt == "xlsx" else body.decode("utf-8")
        assert "Propuesta enviada" in text and "Borrador reservado" not in text
    draft_page = path(cycle, "borradores", str(draft.id))
    assert client.get(draft_page).status_code == 302  # a visitor is sent to sign in
    login_as(make_user())
    assert client.get(draft_page).status_code == 403
    assert client.get(draft_page + "/revisar").status_code == 403
    login_as(owner)
    assert "Borrador reservado" in client.get(draft_page).get_data(as_text=True)


def _xlsx_text(body: bytes) -> str:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return "\n".join("\t".join("" if value is None else str(value) for value in row)
                     for row in sheet.iter_rows(values_only=True))


# --- similar proposals ---------------------------------------------------------------------------

CORPUS = [
    ("Portal de datos abiertos municipales", "Publicar en formatos abiertos y reutilizables los datos del "
     "presupuesto, las compras y los contratos del municipio."),
    ("Datos abiertos del Estado central", "Que cada ministerio publique sus bases de datos en el portal nacional "
     "con una licencia abierta."),
    ("Registro público de reuniones de lobby", "Ampliar la ley del lobby para que las reuniones de autoridades "
     "regionales queden registradas y publicadas."),
    ("Protección de humedales urbanos", "Crear un catastro participativo de humedales urbanos y un plan de "
     "monitoreo ciudadano de su estado."),
    ("Reciclaje domiciliario en todas las comunas", "Instalar puntos limpios y recolección diferenciada de residuos "
     "reciclables en cada barrio."),
    ("Educación cívica en los colegios", "Incorporar formación ciudadana y participación en el currículo escolar "
     "de enseñanza media."),
    ("Listas de espera en salud transparentes", "Publicar mensualmente las listas de espera de los hospitales "
     "públicos por especialidad y región."),
    ("Compras públicas con participación de pymes", "Simplificar las bases de licitación para que las pequeñas "
     "empresas participen en las compras del Estado."),
    ("Cuenta pública participativa del alcalde", "Que la cuenta pública anual del municipio incluya preguntas de "
     "los vecinos y respuestas por escrito."),
    ("Información sobre derechos de agua", "Transparentar quiénes son los titulares de derechos de "
     "aprovechamiento de aguas y cuánto extraen."),
    ("Consulta indígena vinculante", "Mejorar los procesos de consulta a los pueblos originarios antes de aprobar "
     "proyectos que los afecten."),
    ("Presupuestos participativos comunales", "Destinar una parte del presupuesto municipal a proyectos votados "
     "por los vecinos de cada comuna."),
    ("Declaraciones de patrimonio e intereses en línea", "Que las declaraciones de patrimonio e intereses de los "
     "funcionarios sean fáciles de consultar y comparar."),
    ("Datos del transporte público en tiempo real", "Abrir la ubicación de los buses y los tiempos de espera para "
     "que cualquiera desarrolle aplicaciones."),
    ("Bibliotecas públicas como centros comunitarios", "Ampliar los horarios de las bibliotecas y ofrecer talleres "
     "de alfabetización digital para adultos mayores."),
    ("Arbolado urbano en barrios vulnerables", "Plantar árboles nativos en las plazas y calles de los barrios con "
     "menos áreas verdes."),
    ("Consejos juveniles en los municipios", "Crear consejos de jóvenes con voz en las decisiones municipales sobre "
     "deporte, cultura y espacios públicos."),
    ("Canal seguro de denuncias de corrupción", "Un canal anónimo para denunciar irregularidades en servicios "
     "públicos con protección al denunciante."),
    ("Eficiencia energética en edificios públicos", "Medir y publicar el consumo de energía de los edificios "
     "públicos y metas de reducción."),
    ("Atención a personas migrantes", "Traducir los trámites municipales al creole y otros idiomas y capacitar a "
     "los funcionarios."),
    ("Seguimiento de solicitudes de acceso a la información", "Que cada persona pueda ver el estado de sus "
     "solicitudes de acceso a la información pública y los plazos."),
    ("Fiscalización ambiental de la minería", "Publicar las fiscalizaciones y sanciones ambientales a faenas "
     "mineras y sus relaves."),
    ("Sesiones del concejo municipal transmitidas", "Transmitir y grabar todas las sesiones del concejo municipal "
     "y publicar sus actas."),
    ("Sitios web del Estado accesibles", "Que los sitios web de los servicios públicos cumplan normas de "
     "accesibilidad para personas con discapacidad."),
    ("Transparencia en la asignación de viviendas sociales", "Publicar los criterios y puntajes con que se asignan "
     "los subsidios de vivienda social."),
]

# (query title, query text, the expected proposal's title, an unrelated proposal's title)
QUERIES = [
    # reworded
    ("Abrir los datos del municipio", "contratos y compras de la municipalidad en formato reutilizable",
     "Portal de datos abiertos municipales", "Protección de humedales urbanos"),
    ("Que los vecinos decidan en qué se gasta", "votación vecinal de proyectos con parte del presupuesto comunal",
     "Presupuestos participativos comunales", "Datos del transporte público en tiempo real"),
    ("Transmitir el concejo", "grabar cada sesión del concejo y publicar el acta",
     "Sesiones del concejo municipal transmitidas", "Atención a personas migrantes"),
    ("Que los jóvenes opinen", "consejo juvenil con voz en decisiones municipales",
     "Consejos juveniles en los municipios", "Información sobre derechos de agua"),
    # without accents
    ("Proteccion de humedal urbano", "monitoreo ciudadano y catastro participativo",
     "Protección de humedales urbanos", "Registro público de reuniones de lobby"),
    ("Educacion civica en colegio", "formacion ciudadana en el curriculo escolar",
     "Educación cívica en los colegios", "Fiscalización ambiental de la minería"),
    ("Solicitud de acceso a informacion", "ver el estado de mi solicitud y su plazo",
     "Seguimiento de solicitudes de acceso a la información", "Eficiencia energética en edificios públicos"),
    ("Tranparencia en subsidios de vivienda", "criterios de asignacion de la vivienda social",
     "Transparencia en la asignación de viviendas sociales", "Consejos juveniles en los municipios"),
    # singular where the proposal says plural, and the other way round
    ("Reunión de lobby regional", "registrar la reunión de lobby de cada autoridad",
     "Registro público de reuniones de lobby", "Arbolado urbano en barrios vulnerables"),
    ("Lista de espera del hospital", "publicar la lista de espera por especialidad",
     "Listas de espera en salud transparentes", "Reciclaje domiciliario en todas las comunas"),
    ("Árbol nativo en la plaza", "plantar un árbol nativo en cada barrio vulnerable",
     "Arbolado urbano en barrios vulnerables", "Seguimiento de solicitudes de acceso a la información"),
    ("Derechos de aguas y sus titulares", "quiénes tienen derechos de aprovechamiento de las aguas",
     "Información sobre derechos de agua", "Bibliotecas públicas como centros comunitarios"),
    ("Punto limpio por barrio", "recolección de residuo reciclable",
     "Reciclaje domiciliario en todas las comunas", "Declaraciones de patrimonio e intereses en línea"),
]


@pytest.mark.parametrize("forms", [
    ("información", "informacion", "INFORMACIONES", "Información"),
    ("participación", "participaciones", "Participacion"),
    ("árbol", "arboles", "Árboles"),
    ("humedal", "humedales"),
    ("reunión", "reuniones", "reunion"),
    ("ley", "leyes"),
])
def test_accents_case_and_word_endings_give_one_term(forms):
    assert len({tuple(similarity.terms(form)) for form in forms}) == 1, [similarity.terms(f) for f in forms]


def test_stopwords_and_punctuation_make_no_terms():
    assert similarity.terms("¡Que los de la y en!") == []


@pytest.fixture
def labelled_cycle(db):
    cycle = make_intake_cycle()
    author = make_user()
    for title, body in CORPUS:
        make_proposal(cycle, author=author, title=title, body=body,
                      problem="Hoy esta información no está disponible para la ciudadanía.")
    return cycle


@pytest.mark.parametrize("title, text, expected, unrelated", QUERIES, ids=[query[0] for query in QUERIES])
def test_the_expected_proposal_is_among_the_three_most_similar_and_an_unrelated_one_is_absent(
        labelled_cycle, title, text, expected, unrelated):
    assert len(CORPUS) >= 20
    found = [proposal.title for proposal, _score in services.similar_to(labelled_cycle, title=title, text=text)]
    assert expected in found[:3], found
    assert unrelated not in found, found


def test_withdrawn_and_inadmissible_proposals_are_not_offered_as_similar(labelled_cycle):
    [lobby] = [p for p, _ in services.similar_to(labelled_cycle, title="lobby", text="reuniones de lobby")][:1]
    services.withdraw(lobby, reason=WithdrawalReason.DUPLICATE, actor=lobby.author)
    titles = [p.title for p, _ in services.similar_to(labelled_cycle, title="lobby", text="reuniones de lobby")]
    assert lobby.title not in titles


def test_the_review_page_links_the_similar_proposals(labelled_cycle, client, login_as):
    author = make_user()
    draft = make_draft(labelled_cycle, author, title="Humedal urbano protegido",
                       body="Un catastro ciudadano de los humedales.")
    login_as(author)
    html = client.get(path(labelled_cycle, "borradores", str(draft.id), "revisar")).get_data(as_text=True)
    [wetlands] = [p for p in db_proposals(labelled_cycle) if p.title == "Protección de humedales urbanos"]
    assert f'href="{page_of(wetlands)}"' in html


def db_proposals(cycle):
    from consulta.extensions import db

    return list(db.session.scalars(services.received(cycle)))


# --- edits, versions, withdrawal -----------------------------------------------------------------

def test_an_edit_keeps_every_version_readable_and_marks_the_proposal_edited(db, client, login_as):
    cycle = make_intake_cycle()
    author = make_user()
    proposal = make_proposal(cycle, author=author, title="Primera redacción")
    login_as(author)
    in_english(client)
    csrf = token(client, page_of(proposal) + "/editar")
    response = client.post(page_of(proposal) + "/editar", data={
        **form_data(cycle, title="Segunda redacción"), "csrf_token": csrf})
    assert response.status_code == 302
    assert proposal.version_count == 2 and proposal.is_edited and proposal.title == "Segunda redacción"
    assert [v.title for v in proposal.versions] == ["Primera redacción", "Segunda redacción"]
    assert [row.to_state for row in history(proposal)] == ["SUBMITTED", "EDITED"]
    detail = client.get(page_of(proposal)).get_data(as_text=True)
    assert "Edited" in detail and "Read its 2 versions" in detail
    versions = client.get(page_of(proposal) + "/versiones").get_data(as_text=True)
    assert "Primera redacción" in versions and "Segunda redacción" in versions
    assert services.received_count(cycle) == 1


def test_editing_ends_with_the_window_and_belongs_to_the_author_or_the_organisation(db, client, login_as, clock):
    cycle = make_intake_cycle()
    organisation = make_organisation(sector=Sector.OSC)
    author = organisation.representations[0].user
    proposal = make_proposal(cycle, author=author, organisation=organisation)
    colleague = make_user()
    from consulta.organisations.models import Representation, RepresentationState
    from consulta.core.audit import transition

    representation = Representation(user=colleague, organisation=organisation)
    transition(representation, RepresentationState.PENDING, actor=colleague)
    transition(representation, RepresentationState.VERIFIED, actor=None)
    db.session.flush()
    services.edit(proposal, actor=colleague, **_content(proposal, title="Editada por un colega"))
    assert proposal.version_count == 2
    login_as(make_user())
    assert client.get(page_of(proposal) + "/editar").status_code == 403
    clock.at(intake(cycle).closes_at)
    with pytest.raises(WindowClosed):
        services.edit(proposal, actor=author, **_content(proposal, title="Demasiado tarde"))
    assert proposal.title == "Editada por un colega"


def test_a_withdrawn_proposal_stays_visible_marked_with_its_reason_and_is_still_received(db, client, login_as):
    cycle = make_intake_cycle()
    author = make_user()
    proposal = make_proposal(cycle, author=author, title="Retirable")
    login_as(author)
    in_english(client)
    csrf = token(client, page_of(proposal) + "/retirar")
    refused = client.post(page_of(proposal) + "/retirar", data={"csrf_token": csrf, "reason": "OTHER", "note": ""})
    assert refused.status_code == 200 and "Tell us why you withdraw it." in refused.get_data(as_text=True)
    assert proposal.state is ProposalState.SUBMITTED
    done = client.post(page_of(proposal) + "/retirar", data={"csrf_token": csrf, "reason": "OTHER",
                                                             "note": "Nos unimos a otra propuesta."})
    assert done.status_code == 302
    assert proposal.state is ProposalState.WITHDRAWN
    html = client.get(page_of(proposal)).get_data(as_text=True)
    assert "Withdrawn" in html and "Nos unimos a otra propuesta." in html
    assert services.received_count(cycle) == 1
    assert services.received_count(cycle, state=ProposalState.WITHDRAWN) == 1
    with pytest.raises(DomainError):
        services.withdraw(proposal, reason=WithdrawalReason.DUPLICATE, actor=author)
    login_as(make_user())
    assert client.get(page_of(make_proposal(cycle)) + "/retirar").status_code == 403


def test_a_closed_account_shows_its_proposals_under_a_pseudonym(db, client):
    cycle = make_intake_cycle()
    author = make_user(display_name="Ana Pérez", email="ana.perez@example.org")
    proposal = make_proposal(cycle, author=author)
    close_account(author, actor=author)
    db.session.flush()
    html = client.get(page_of(proposal)).get_data(as_text=True)
    assert "Ana Pérez" not in html and author.pseudonym in html
    assert services.received_count(cycle) == 1


# --- other channels, moderators ------------------------------------------------------------------

def test_a_moderator_enters_a_letter_which_counts_shows_its_channel_and_keeps_contact_data_private(
        db, client, login_as):
    cycle = make_intake_cycle()
    moderator = make_moderator(cycle.jurisdiction)
    agency = make_organisation(sector=Sector.SERVICIO_PUBLICO, name="Servicio de Salud Norte")
    proposal = services.enter_from_channel(
        cycle=cycle, channel=Channel.AGENCY_SUBMISSION, received_on=date(2016, 5, 30),
        submitter_name="Servicio de Salud Norte", submitter_email="oficina.partes@example.org",
        sector=Sector.SERVICIO_PUBLICO, organisation=agency, title="Agenda digital de salud",
        problem="Las horas médicas se piden en persona.", body="Un sistema de reserva en línea.",
        area=services.areas(cycle)[0], values=[OgpValue.COLABORACION_INNOVACION], actor=moderator,
        originals=[upload(PDF, "oficio-123.pdf")])
    assert proposal.channel is Channel.AGENCY_SUBMISSION and proposal.entered_by_id == moderator.id
    assert services.received_count(cycle) == 1
    assert services.received_count(cycle, channel=Channel.AGENCY_SUBMISSION) == 1
    in_english(client)
    html = client.get(page_of(proposal)).get_data(as_text=True)
    assert "Agency submission to the Commission" in html and "Servicio de Salud Norte" in html
    assert "oficina.partes@example.org" not in html and "oficio-123.pdf" not in html
    [original] = proposal.attachments
    assert not original.public
    assert client.get(page_of(proposal) + f"/adjuntos/{original.id}").status_code == 302  # sign in first
    login_as(moderator)
    html = client.get(page_of(proposal)).get_data(as_text=True)
    assert "oficina.partes@example.org" in html and "oficio-123.pdf" in html
    assert client.get(page_of(proposal) + f"/adjuntos/{original.id}").status_code == 200


def test_the_channel_form_enters_a_proposal_once(db, client, login_as):
    cycle = make_intake_cycle()
    moderator = make_moderator(cycle.jurisdiction)
    login_as(moderator)
    page = client.get(path(cycle, "otro-canal")).get_data(as_text=True)
    data = {**form_data(cycle, title="Carta de la junta de vecinos"), "csrf_token": CSRF.search(page).group(1),
            "idempotency_key": KEY.search(page).group(1), "channel": "LETTER", "received_on": "2018-07-02",
            "submitter_name": "Junta de Vecinos 14", "submitter_email": "", "sector": "OSC", "organisation": ""}
    first = client.post(path(cycle, "otro-canal"), data=data)
    second = client.post(path(cycle, "otro-canal"), data=data)
    assert first.status_code == second.status_code == 302
    assert services.received_count(cycle, channel=Channel.LETTER) == 1


def test_marking_a_proposal_not_admissible_tells_its_author_the_reason(db, client, login_as):
    cycle = make_intake_cycle()
    moderator = make_moderator(cycle.jurisdiction)
    author = make_user(email="autor@example.org")
    proposal = make_proposal(cycle, author=author, title="Compre relojes baratos")
    login_as(moderator)
    csrf = token(client, page_of(proposal) + "/no-admisible")
    response = client.post(page_of(proposal) + "/no-admisible", data={"csrf_token": csrf,
                                                                      "reason": "Publicidad comercial."})
    assert response.status_code == 302
    assert proposal.state is ProposalState.INADMISSIBLE and proposal.state_note == "Publicidad comercial."
    [_receipt, notice] = mails(db, to="autor@example.org")
    assert proposal.reference in notice.subject and "Publicidad comercial." in notice.body_text
    assert [(row.to_state, row.reason) for row in history(proposal)][-1] == ("INADMISSIBLE", "Publicidad comercial.")
    assert services.received_count(cycle) == 1


@pytest.mark.parametrize("page", ["moderacion", "otro-canal", "{reference}/no-admisible"])
def test_another_jurisdictions_moderator_gets_403_and_this_ones_gets_the_page(db, client, login_as, page):
    cycle = make_intake_cycle()
    proposal = make_proposal(cycle, author=make_user(email="privado@example.org"))
    url = path(cycle, page.format(reference=proposal.reference))
    assert client.get(url).status_code == 302  # a visitor signs in first
    login_as(make_moderator())
    assert client.get(url).status_code == 403
    login_as(make_user())
    assert client.get(url).status_code == 403
    login_as(make_moderator(cycle.jurisdiction))
    response = client.get(url)
    assert response.status_code == 200
    if page == "moderacion":
        assert "privado@example.org" in response.get_data(as_text=True)


def test_a_national_moderator_reaches_every_jurisdiction(db, client, login_as):
    cycle = make_intake_cycle()
    login_as(make_moderator(make_national()))
    assert client.get(path(cycle, "moderacion")).status_code == 200


def test_a_moderator_of_another_jurisdiction_cannot_enter_or_judge_through_the_services(db):
    cycle = make_intake_cycle()
    proposal = make_proposal(cycle)
    outsider = make_moderator()
    from consulta.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.mark_inadmissible(proposal, reason="Spam", actor=outsider)
    with pytest.raises(PermissionDenied):
        services.enter_from_channel(cycle=cycle, channel=Channel.LETTER, received_on=date(2018, 7, 1),
                                    submitter_name="Alguien", sector=Sector.CIUDADANIA, title="Carta",
                                    problem="Un problema.", body="Una propuesta.", area=services.areas(cycle)[0],
                                    values=["TRANSPARENCIA"], actor=outsider)
    assert proposal.state is ProposalState.SUBMITTED and services.received_count(cycle) == 1


# --- the register and its exports ----------------------------------------------------------------

def test_the_register_counts_every_proposal_received_whatever_happened_to_it(db):
    cycle = make_intake_cycle()
    moderator = make_moderator(cycle.jurisdiction)
    kept, withdrawn, spam = make_proposal(cycle), make_proposal(cycle), make_proposal(cycle)
    services.withdraw(withdrawn, reason=WithdrawalReason.ALREADY_EXISTS, actor=withdrawn.author)
    services.mark_inadmissible(spam, reason="Spam", actor=moderator)
    services.enter_from_channel(cycle=cycle, channel=Channel.EMAIL, received_on=date(2018, 7, 1),
                                submitter_name="Vecina", sector=Sector.CIUDADANIA, title="Por correo",
                                problem="Un problema.", body="Una propuesta.", area=services.areas(cycle)[0],
                                values=["TRANSPARENCIA"], actor=moderator)
    make_draft(cycle)
    assert services.received_count(cycle) == 4
    assert db.session.scalar(select(func.count()).select_from(services.received(cycle).subquery())) == 4
    counts = services.counts(cycle)
    assert dict(counts["sector"]) == {Sector.CIUDADANIA: 4, Sector.OSC: 0, Sector.SERVICIO_PUBLICO: 0,
                                      Sector.ACADEMIA: 0, Sector.SECTOR_PRIVADO: 0}
    assert [(area.name, n) for area, n in counts["area"]] == [("Transparencia e integridad", 4),
                                                              ("Modernización del Estado", 0)]
    assert kept.state is ProposalState.SUBMITTED


def test_the_register_pages_filters_and_searches_without_minding_accents_or_case(db, client):
    cycle = make_intake_cycle()
    other_area = services.areas(cycle)[1]
    organisation = make_organisation(sector=Sector.ACADEMIA, name="Universidad del Sur")
    for n in range(22):
        make_proposal(cycle, title=f"Propuesta número {n}")
    make_proposal(cycle, title="Información sobre el AGUA potable", area=other_area,
                  author=organisation.representations[0].user, organisation=organisation)
    first = client.get(path(cycle)).get_data(as_text=True)
    assert "23 proposals received" in first or "23 propuestas recibidas" in first
    assert first.count('class="badge badge-submitted"') == 20
    second = client.get(path(cycle) + "?page=2").get_data(as_text=True)
    assert second.count('class="badge badge-submitted"') == 3
    assert "Universidad del Sur" in second
    assert client.get(path(cycle) + "?page=99999999999999999999").status_code == 200
    for query in ("informacion agua", "AGUA POTABLE", "Potáble", "agua  información"):
        assert services.received_count(cycle, q=query) == 1, query
    assert services.received_count(cycle, q="50%") == 0
    filtered = client.get(path(cycle) + f"?sector=ACADEMIA&area={other_area.id}&organisation={organisation.id}"
                          "&q=informacion").get_data(as_text=True)
    assert "Información sobre el AGUA potable" in filtered and "Propuesta número 1<" not in filtered
    assert services.received_count(cycle, sector=Sector.ACADEMIA, organisation=organisation.id) == 1


def test_the_register_reads_the_same_number_of_statements_for_few_or_many_proposals(db, client, count_queries):
    cycle = make_intake_cycle()
    organisation = make_organisation()
    make_proposal(cycle, author=organisation.representations[0].user, organisation=organisation)

    def statements() -> int:
        with count_queries() as counted:
            assert client.get(path(cycle)).status_code == 200
        return counted.n

    few = statements()
    for _ in range(12):
        make_proposal(cycle, author=organisation.representations[0].user, organisation=organisation)
        make_proposal(cycle)
    assert statements() == few


@pytest.mark.parametrize("query", ["sector=NOPE", "area=abc", "area=999999", "state=ARCHIVED", "channel=<script>",
                                   "organisation=-1", "q=%00", "q=" + "x" * 300, "page=-3"])
def test_forged_or_junk_filters_answer_with_a_message_never_a_500(db, client, query):
    cycle = make_intake_cycle()
    make_proposal(cycle, title="Siempre visible")
    response = client.get(path(cycle) + "?" + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Siempre visible" in html and "<script>" not in html


def test_exports_have_the_register_filters_public_fields_only_and_no_email_nor_draft(db, client):
    cycle = make_intake_cycle()
    moderator = make_moderator(cycle.jurisdiction)
    make_proposal(cycle, author=make_user(email="ana.secreta@example.org"), title="=HYPERLINK(\"http://x\")")
    services.enter_from_channel(cycle=cycle, channel=Channel.LETTER, received_on=date(2018, 7, 1),
                                submitter_name="Junta de Vecinos", submitter_email="junta.secreta@example.org",
                                sector=Sector.OSC, title="Por carta", problem="Un problema.", body="Una propuesta.",
                                area=services.areas(cycle)[0], values=["TRANSPARENCIA"], actor=moderator)
    make_draft(cycle, title="Borrador que no sale")
    csv_body = client.get(path(cycle, "exportar.csv")).data.decode("utf-8-sig")
    json_body = client.get(path(cycle, "exportar.json")).data.decode("utf-8")
    xlsx_body = _xlsx_text(client.get(path(cycle, "exportar.xlsx")).data)
    for text in (csv_body, json_body, xlsx_body):
        assert "@example.org" not in text and "secreta" not in text and "Borrador que no sale" not in text
        assert "Por carta" in text
    rows = list(csv.DictReader(io.StringIO(csv_body)))
    assert len(rows) == 2 and set(rows[0]) == set(services.EXPORT_FIELDS)
    assert rows[0]["title"].startswith("'=")  # a spreadsheet shows it, never runs it
    document = json.loads(json_body)
    assert document["count"] == 2 and {p["channel"] for p in document["proposals"]} == {"FORM", "LETTER"}
    letters = json.loads(client.get(path(cycle, "exportar.json") + "?channel=LETTER").data)
    assert [p["title"] for p in letters["proposals"]] == ["Por carta"]
    sheet = load_workbook(io.BytesIO(client.get(path(cycle, "exportar.xlsx")).data)).active
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_download_my_data_includes_my_proposals_and_drafts(db):
    from consulta.accounts.exports import build_zip
    import zipfile

    cycle = make_intake_cycle()
    author = make_user()
    make_proposal(cycle, author=author, title="Mía")
    make_draft(cycle, author, title="Mi borrador")
    archive = zipfile.ZipFile(io.BytesIO(build_zip(author)))
    assert json.loads(archive.read("proposals.json"))[0]["title"] == "Mía"
    assert json.loads(archive.read("proposal_drafts.json"))[0]["title"] == "Mi borrador"


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("title", "Con \x00 nulo", "control characters"),
    ("body", "binario \x01\x02\x7f", "control characters"),
    ("title", "x" * 201, "at most 200 characters"),
    ("problem", "p" * 5001, "at most 5000 characters"),
    ("entity_name", "e" * 201, "at most 200 characters"),
    ("area", "999999", "Not a valid choice"),
    ("area", "abc", "Invalid Choice"),
    ("values", ["NOT_A_VALUE"], "not a valid choice"),
])
def test_bad_input_in_each_field_gets_a_message_and_keeps_the_rest(db, client, login_as, field, value, message):
    cycle = make_intake_cycle()
    author = make_user()
    login_as(author)
    in_english(client)
    csrf = token(client, path(cycle, "nueva"))
    response = client.post(path(cycle, "nueva"), data={**form_data(cycle, **{field: value}), "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message.lower() in html.lower()
    kept = "Ciclovías seguras" if field != "title" else "Los ciclistas no tienen vías protegidas"
    assert kept in html
    assert services.received_count(cycle) == 0 and services.drafts_of(author, cycle) == []


def test_an_area_of_another_cycle_is_refused_by_the_service(db):
    cycle = make_intake_cycle()
    elsewhere = make_intake_cycle()
    with pytest.raises(DomainError) as refused:
        make_proposal(cycle, area=services.areas(elsewhere)[0])
    assert refused.value.field == "area"


def test_html_in_every_field_is_shown_as_text(db, client):
    cycle = make_intake_cycle()
    payload = '<script>alert("x")</script><b onmouseover=alert(1)>negrita</b>'
    proposal = make_proposal(cycle, title=payload[:200], problem=payload, body=payload, entity_name=payload[:200])
    for url in (page_of(proposal), path(cycle), page_of(proposal) + "/versiones"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<b onmouseover" not in html
        assert "&lt;script&gt;alert" in html


def test_unknown_cycles_references_and_drafts_are_404(db, client, login_as):
    cycle = make_intake_cycle()
    proposal = make_proposal(cycle)
    login_as(make_user())
    assert client.get(f"/j/{cycle.jurisdiction.slug}/no-existe/propuestas").status_code == 404
    assert client.get(path(cycle, "PA0-9999")).status_code == 404
    assert client.get(path(cycle, "borradores", "999999")).status_code == 404
    other = make_intake_cycle()
    assert client.get(path(other, proposal.reference)).status_code == 404
    assert client.get(page_of(proposal) + "/adjuntos/999999").status_code == 404


def test_a_cycle_without_intake_says_so_on_the_form(db, client, login_as):
    cycle = make_cycle()
    make_area(cycle)
    login_as(make_user())
    in_english(client)
    html = client.get(path(cycle, "nueva")).get_data(as_text=True)
    assert "This cycle does not receive proposals." in html and "Review and send" not in html


def test_the_cycle_page_links_the_register_and_the_form_while_intake_is_open(db, client, clock):
    cycle = make_intake_cycle()
    make_proposal(cycle)
    cycle_page = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}"
    in_english(client)
    html = client.get(cycle_page).get_data(as_text=True)
    assert f'href="{path(cycle)}"' in html and "1 proposal received" in html
    assert f'href="{path(cycle, "nueva")}"' in html
    clock.at(intake(cycle).closes_at)
    html = client.get(cycle_page).get_data(as_text=True)
    assert f'href="{path(cycle)}"' in html and f'href="{path(cycle, "nueva")}"' not in html


# --- the term index: search and similar proposals ------------------------------------------------

def indexed(cycle) -> set[tuple]:
    rows = db_session().execute(select(proposal_term.c.term, proposal_term.c.proposal_id, proposal_term.c.weight)
                                .where(proposal_term.c.cycle_id == cycle.id))
    return {tuple(row) for row in rows}


def recomputed(cycle) -> set[tuple]:
    return {(row["term"], row["proposal_id"], row["weight"]) for proposal in db_proposals(cycle)
            for row in services.index_rows(proposal)}


def db_session():
    from consulta.extensions import db

    return db.session


def test_the_term_index_equals_a_recomputation_after_sending_editing_withdrawing_and_merging(db):
    from consulta.triage import services as triage

    cycle = make_intake_cycle()
    moderator = make_moderator(cycle.jurisdiction)
    first = make_proposal(cycle, title="Información sobre el agua potable", entity_name="Dirección General de Aguas")
    second = make_proposal(cycle, title="Humedales urbanos", body="Un catastro de humedales y del agua.")
    services.enter_from_channel(cycle=cycle, channel=Channel.LETTER, received_on=date(2018, 7, 1),
                                submitter_name="Junta de vecinos", sector=Sector.CIUDADANIA, title="Carta sobre buses",
                                problem="Los buses no pasan.", body="Publicar la frecuencia de los buses.",
                                area=services.areas(cycle)[0], values=["TRANSPARENCIA"], actor=moderator)
    assert indexed(cycle) == recomputed(cycle)
    by_term = {(term, proposal_id): weight for term, proposal_id, weight in indexed(cycle)}
    # Stems carry their weight in the ranking (the title's twice), other words 0; entity and reference count.
    assert by_term[("humedal", second.id)] == 2 + 1 and by_term[("humedales", second.id)] == 0
    assert by_term[("aguas", first.id)] == 0 and by_term[(first.reference.split("-")[1], first.id)] == 0

    services.edit(second, title="Lagunas urbanas", problem="Se secan.", body="Proteger las lagunas.",
                  area=services.areas(cycle)[0], values=["PARTICIPACION"], actor=second.author)
    services.withdraw(first, reason=WithdrawalReason.DUPLICATE, actor=first.author)
    third = make_proposal(cycle, title="Lagunas protegidas")
    triage.merge(third, into=second, response="Dice lo mismo que {codigo}.", actor=moderator)
    assert indexed(cycle) == recomputed(cycle)
    assert not {row for row in indexed(cycle) if row[0].startswith("humedal")}
    assert services.received_count(cycle, q="humedales") == 0 and services.received_count(cycle, q="laguna") == 2


def test_search_matches_the_beginning_of_words_with_or_without_accents_every_word_and_the_reference(db):
    cycle = make_intake_cycle()
    water = make_proposal(cycle, title="Información sobre el agua potable")
    make_proposal(cycle, title="Participación ciudadana en el cuidado del agua", problem="Sin datos.", body="Mesas.")
    make_proposal(cycle, title="Humedales urbanos", problem="Se rellenan.", body="Protegerlos por ley.")

    def found(query) -> list[str]:
        return [p.title for p in db_session().scalars(services.received(cycle, q=query))]

    for query in ("informac", "INFORMACIÓN", "informacion", "Információn", "potab agua", "agua  información"):
        assert found(query) == ["Información sobre el agua potable"], query
    assert len(found("agua")) == 2 and found("humedal") == ["Humedales urbanos"]
    assert found("agua particip") == ["Participación ciudadana en el cuidado del agua"]
    assert found("agua humedal") == [] and found("ormacion") == [] and found("potables") == []
    # Words with no meaning of their own do not narrow the search; a reference finds its proposal.
    assert len(found("el de la")) == 3
    assert found(water.reference) == [water.title]


def test_similar_proposals_count_term_frequencies_on_a_sample_of_a_large_cycle(labelled_cycle, monkeypatch):
    ranked = [(p.title, round(score, 6)) for p, score in services.similar_to(
        labelled_cycle, title="Humedal urbano", text="catastro participativo de humedales")]
    assert ranked[0][0] == "Protección de humedales urbanos"
    # Frequencies counted on a sample of the cycle's latest proposals, scaled to the cycle.
    monkeypatch.setattr(services, "FREQUENCY_SAMPLE", len(CORPUS) - 5)
    resampled = [(p.title, round(score, 6)) for p, score in services.similar_to(
        labelled_cycle, title="Humedal urbano", text="catastro participativo de humedales")]
    assert [title for title, _ in resampled][:1] == ["Protección de humedales urbanos"] and resampled != ranked
    # The candidates are those sharing the rarest terms, however few are kept.
    monkeypatch.setattr(services, "SIMILAR_POSTINGS", 1)
    monkeypatch.setattr(services, "SIMILAR_CANDIDATES", 1)
    [(only, _score)] = services.similar_to(labelled_cycle, title="Humedal urbano",
                                           text="catastro participativo de humedales")
    assert only.title == "Protección de humedales urbanos"


@pytest.mark.parametrize("page", ["detail", "last", "filtered", "search"])
def test_register_pages_and_a_proposal_page_run_the_same_statements_at_ten_and_a_thousand(
        db, client, count_queries, page):
    cycle = make_intake_cycle()
    other_area = services.areas(cycle)[1]
    organisation = make_organisation()
    make_proposal(cycle, author=organisation.representations[0].user, organisation=organisation,
                  title="La propuesta mostrada")
    shown = services.find(cycle, f"{cycle.code}-0001")

    def address(size):
        in_area = services.received_count(cycle, area=other_area)
        return {"detail": page_of(shown), "last": path(cycle) + f"?page={(size - 1) // 20 + 1}",
                "filtered": path(cycle) + f"?area={other_area.id}&page={(in_area - 1) // 20 + 1}",
                "search": path(cycle) + "?q=volumen+propuesta"}[page]

    def statements(size) -> int:
        wanted = address(size)
        db.session.flush()
        db.session.expire_all()
        with count_queries() as counted:
            response = client.get(wanted)
        assert response.status_code == 200
        return counted.n

    make_proposals(cycle, 5)
    make_proposals(cycle, 4, area_id=other_area.id)
    few = statements(10)
    make_proposals(cycle, 495)
    make_proposals(cycle, 495, area_id=other_area.id)
    assert services.received_count(cycle) == 1000
    assert statements(1000) == few <= 10


def test_the_register_reads_its_second_half_from_the_end_in_the_same_order(db, client):
    cycle = make_intake_cycle()
    make_proposals(cycle, 45)
    numbers = re.compile(rf"{cycle.code}-(\d{{4}})")

    def shown(query):
        html = client.get(path(cycle) + query).get_data(as_text=True)
        return list(dict.fromkeys(int(n) for n in numbers.findall(html)))

    assert shown("") == list(range(1, 21))
    assert shown("?page=2") == list(range(21, 41))
    assert shown("?page=3") == list(range(41, 46))
    assert shown("?page=4") == []
