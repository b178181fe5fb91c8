"""Organisations, the people who represent them, their verification, and who may act for a sector."""
import pytest
from sqlalchemy import select

from consulta.core.audit import history
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.outbox import OutboxEmail
from consulta.core.sectors import Sector
from consulta.jurisdictions.models import Role
from consulta.organisations import rut, services
from consulta.organisations.models import Organisation, OrganisationState, Representation, RepresentationState
from tests.factories import (make_grant, make_jurisdiction, make_moderator, make_national, make_organisation,
                             make_representation, make_user)
from tests.test_jurisdictions import post


@pytest.fixture
def sign_in(client, login_as):
    def sign(user):
        login_as(user)
        with client.session_transaction() as session:
            session["lang"] = "en"
        return client

    return sign


def events(obj):
    return [(row.from_state, row.to_state, row.actor_id) for row in history(obj, public_only=False)]


def mails_to(db, person) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == person.email)))


# --- RUT -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("76.123.456-0", "76123456-0"),
    ("76123456-0", "76123456-0"),
    ("761234560", "76123456-0"),
    (" 12.345.678-5 ", "12345678-5"),
    ("7.654.321-6", "7654321-6"),
    ("10.000.013-k", "10000013-K"),
    ("010000013-K", "10000013-K"),
])
def test_a_rut_is_normalised(typed, stored):
    assert rut.normalise(typed) == stored


@pytest.mark.parametrize("typed", ["76.123.456-7", "12.345.678-K", "76.123.456", "abc", "", "76.123.456-00",
                                   "1234567890-1", "76-123-456-0", "76123456-Z", "\u0667\u0666-0"])
def test_a_wrong_rut_is_refused(typed):
    assert rut.normalise(typed) is None


def test_check_digits_follow_modulo_eleven():
    assert [rut.check_digit(n) for n in (76123456, 12345678, 10000013, 7654321)] == ["0", "5", "K", "6"]
    assert rut.display("76123456-0") == "76.123.456-0"


# --- asking ------------------------------------------------------------------------------------------

def test_asking_creates_a_pending_organisation_and_representation_with_their_history(db):
    person = make_user()
    renca = make_jurisdiction()

    request = services.request_representation(person, name="  Fundación Renca Activa ", sector=Sector.OSC,
                                              identifier="76.123.456-0", website="HTTPS://renca.example",
                                              jurisdiction=renca, role_title="Directora")

    organisation = request.organisation
    assert (organisation.name, organisation.identifier, organisation.website) == (
        "Fundación Renca Activa", "76123456-0", "https://renca.example")
    assert organisation.state == OrganisationState.PENDING and request.state == RepresentationState.PENDING
    assert events(organisation) == [(None, "PENDING", person.id)]
    assert events(request) == [(None, "PENDING", person.id)]


def test_an_organisation_registered_with_a_rut_is_found_again_and_has_several_representatives(db):
    first = make_representation(identifier="76123456-0", verified=True)
    second = make_representation(identifier="76.123.456-0", name="Otro nombre")

    assert second.organisation is first.organisation
    assert first.organisation.name != "Otro nombre"
    assert len(first.organisation.representations) == 2


@pytest.mark.parametrize("overrides, field", [
    ({"name": " "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"identifier": "76.123.456-7"}, "identifier"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"website": "renca.cl"}, "website"),
    ({"website": "ftp://renca.cl"}, "website"),
    ({"sector": Sector.CIUDADANIA}, "sector"),
    ({"sector": "OSC"}, "sector"),
    ({"jurisdiction": None}, "jurisdiction"),
    ({"role_title": "x" * 121}, "role_title"),
])
def test_bad_requests_are_refused_next_to_their_field(db, overrides, field):
    with pytest.raises(DomainError) as refused:
        make_representation(**overrides)
    assert refused.value.field == field
    assert db.session.scalar(select(Organisation)) is None


def test_a_rut_registered_in_another_sector_and_a_second_live_request_are_refused(db):
    request = make_representation(identifier="76123456-0", sector=Sector.ACADEMIA)
    with pytest.raises(DomainError) as other_sector:
        make_representation(identifier="76123456-0", sector=Sector.OSC)
    assert other_sector.value.field == "sector"
    with pytest.raises(DomainError):
        make_representation(request.user, identifier="76123456-0", sector=Sector.ACADEMIA,
                            jurisdiction=request.organisation.jurisdiction)


def test_only_people_with_a_verified_email_may_ask(db):
    with pytest.raises(PermissionDenied):
        make_representation(make_user(verified=False))


# --- deciding ---------------------------------------------------------------------------------------

def test_verifying_is_audited_verifies_the_organisation_and_tells_the_person(db):
    request = make_representation(make_user(email="ana@example.org", locale="en"))
    moderator = make_moderator(request.organisation.jurisdiction)

    services.verify_representation(request, actor=moderator, reason="Checked with the registry")

    assert request.state == RepresentationState.VERIFIED
    assert request.organisation.state == OrganisationState.VERIFIED
    assert events(request)[-1] == ("PENDING", "VERIFIED", moderator.id)
    assert history(request, public_only=False)[-1].reason == "Checked with the registry"
    assert events(request.organisation)[-1] == ("PENDING", "VERIFIED", moderator.id)
    [mail] = mails_to(db, request.user)
    assert request.organisation.name in mail.subject and "verified" in mail.subject
    assert "Checked with the registry" in mail.body_text and "http://localhost/organizaciones/mias" in mail.body_text


def test_rejecting_needs_a_reason_is_audited_and_tells_the_person_why(db):
    request = make_representation(make_user(locale="en"))
    moderator = make_moderator(request.organisation.jurisdiction)
    with pytest.raises(DomainError) as no_reason:
        services.reject_representation(request, actor=moderator, reason=" ")
    assert no_reason.value.field == "reason"

    services.reject_representation(request, actor=moderator, reason="No link to the organisation")

    assert request.state == RepresentationState.REJECTED
    assert request.decision_reason == "No link to the organisation"
    assert request.organisation.state == OrganisationState.REJECTED
    assert events(request)[-1] == ("PENDING", "REJECTED", moderator.id)
    [mail] = mails_to(db, request.user)
    assert "not accepted" in mail.subject and "No link to the organisation" in mail.body_text
    with pytest.raises(DomainError):
        services.verify_representation(request, actor=moderator)


@pytest.mark.parametrize("locale, sector_label", [("es", "Organización de la sociedad civil"),
                                                  ("en", "Civil-society organisation")])
def test_the_mail_is_in_the_persons_language(app, db, locale, sector_label):
    request = make_representation(make_user(locale=locale))
    with app.test_request_context(headers={"Accept-Language": "xx"}):
        services.verify_representation(request, actor=make_moderator(request.organisation.jurisdiction))
    [mail] = mails_to(db, request.user)
    assert sector_label in mail.body_text


def test_rejecting_one_of_several_requests_leaves_the_organisation_pending(db):
    first = make_representation(identifier="76123456-0")
    make_representation(identifier="76123456-0", jurisdiction=first.organisation.jurisdiction)
    services.reject_representation(first, actor=make_moderator(first.organisation.jurisdiction), reason="unknown")
    assert first.organisation.state == OrganisationState.PENDING


def test_a_rejected_organisation_can_be_asked_for_again(db):
    request = make_representation(identifier="76123456-0")
    services.reject_representation(request, actor=make_moderator(request.organisation.jurisdiction), reason="no")

    again = make_representation(request.user, identifier="76123456-0")

    assert again.organisation is request.organisation
    assert again.organisation.state == OrganisationState.PENDING


def test_only_moderators_of_the_organisations_jurisdiction_or_national_ones_decide(db):
    request = make_representation()
    for outsider in (make_moderator(make_jurisdiction()), make_grant(role=Role.ADMIN).user,
                     make_grant(role=Role.MESA_MEMBER, jurisdiction=request.organisation.jurisdiction).user,
                     make_user()):
        with pytest.raises(PermissionDenied):
            services.verify_representation(request, actor=outsider)
        with pytest.raises(PermissionDenied):
            services.reject_representation(request, actor=outsider, reason="no")
    services.verify_representation(request, actor=make_moderator(make_national()))


def test_a_moderator_cannot_decide_on_their_own_request(db):
    renca = make_jurisdiction()
    moderator = make_moderator(renca)
    request = make_representation(moderator, jurisdiction=renca)
    with pytest.raises(DomainError):
        services.verify_representation(request, actor=moderator)


def test_the_person_withdraws_their_own_request_only(db):
    request = make_representation(verified=True)
    with pytest.raises(PermissionDenied):
        services.withdraw_representation(request, actor=make_user())
    services.withdraw_representation(request, actor=request.user)
    assert request.state == RepresentationState.WITHDRAWN
    assert events(request)[-1] == ("VERIFIED", "WITHDRAWN", request.user.id)
    with pytest.raises(DomainError):
        services.withdraw_representation(request, actor=request.user)


# --- acting for a sector ------------------------------------------------------------------------

def test_a_person_alone_acts_only_as_ciudadania(db):
    person = make_user()
    organisation = make_organisation()
    services.require_sector(person, Sector.CIUDADANIA)
    for sector in (Sector.OSC, Sector.SERVICIO_PUBLICO, Sector.ACADEMIA, Sector.SECTOR_PRIVADO):
        with pytest.raises(DomainError) as refused:
            services.require_sector(person, sector)
        assert refused.value.field == "organisation"
    with pytest.raises(DomainError):
        services.require_sector(person, Sector.OSC, organisation)


@pytest.mark.usefixtures("english_messages")
def test_a_verified_representative_acts_for_that_organisation_and_its_sector_only(db):
    request = make_representation(verified=True, sector=Sector.ACADEMIA)
    person, university = request.user, request.organisation

    assert services.verified_organisations(person) == [university]
    assert services.may_act_for(person, Sector.ACADEMIA, university)
    assert services.may_act_for(person, Sector.CIUDADANIA)
    assert not services.may_act_for(person, Sector.OSC, university)
    assert not services.may_act_for(person, Sector.CIUDADANIA, university)
    assert not services.may_act_for(person, Sector.ACADEMIA, make_organisation(sector=Sector.ACADEMIA))
    with pytest.raises(DomainError) as unnamed:
        services.require_sector(person, Sector.ACADEMIA)
    assert "Choose the organisation" in unnamed.value.message

    services.withdraw_representation(request, actor=person)
    assert not services.may_act_for(person, Sector.ACADEMIA, university)


def test_a_pending_or_rejected_representative_cannot_act_for_the_organisation(db):
    pending = make_representation()
    assert not services.may_act_for(pending.user, Sector.OSC, pending.organisation)
    services.reject_representation(pending, actor=make_moderator(pending.organisation.jurisdiction), reason="no")
    assert not services.may_act_for(pending.user, Sector.OSC, pending.organisation)


def test_a_visitor_acts_for_nobody(db):
    from flask_login import AnonymousUserMixin

    assert not services.may_act_for(AnonymousUserMixin(), Sector.CIUDADANIA)
    assert services.verified_organisations(AnonymousUserMixin()) == []


# --- pages: asking -------------------------------------------------------------------------------

FORM = {"name": "Red Ciudadana", "sector": "OSC", "identifier": "76.123.456-0", "website": "https://red.example",
        "role_title": "Coordinadora"}


def test_asking_through_the_form(client, sign_in, db):
    renca = make_jurisdiction(name="Renca")
    person = make_user()
    sign_in(person)
    page = client.get("/organizaciones/solicitar").get_data(as_text=True)
    assert "Ask to represent an organisation" in page and "Send the request" in page and "Renca" in page

    response = post(client, "/organizaciones/solicitar", data={**FORM, "jurisdiction": renca.id},
                    follow_redirects=True)

    assert response.request.path == "/organizaciones/mias"
    page = response.get_data(as_text=True)
    assert "Red Ciudadana" in page and "Awaiting verification" in page
    request = db.session.scalar(select(Representation))
    assert (request.user, request.state, request.organisation.identifier) == (
        person, RepresentationState.PENDING, "76123456-0")


@pytest.mark.parametrize("change, message", [
    ({"identifier": "76.123.456-7"}, "This is not a valid RUT"),
    ({"website": "javascript:alert(1)"}, "starting with https://"),
    ({"name": ""}, "This field is required"),
    ({"name": "x" * 201}, "200"),
    ({"sector": "CIUDADANIA"}, "Not a valid choice"),
    ({"sector": ""}, "This field is required"),
    ({"jurisdiction": "abc"}, "Invalid Choice"),
])
def test_bad_input_comes_back_with_a_message_and_what_was_typed(client, sign_in, db, change, message):
    renca = make_jurisdiction()
    sign_in(make_user())

    response = post(client, "/organizaciones/solicitar", data={**FORM, "jurisdiction": renca.id, **change})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Coordinadora"' in page
    assert db.session.scalar(select(Representation)) is None


def test_a_forged_jurisdiction_id_is_404(client, sign_in, db):
    sign_in(make_user())
    response = post(client, "/organizaciones/solicitar", data={**FORM, "jurisdiction": "999999"})
    assert response.status_code == 404


def test_asking_needs_an_account_with_a_verified_email(client, sign_in, db):
    response = client.get("/organizaciones/solicitar")
    assert response.status_code == 302 and "/cuenta/ingresar" in response.headers["Location"]
    sign_in(make_user(verified=False))
    refused = client.get("/organizaciones/solicitar")
    assert refused.status_code == 403 and "Verify your email address first" in refused.get_data(as_text=True)


def test_my_organisations_and_withdrawing(client, sign_in, db):
    request = make_representation(verified=True, name="Fundación Uno")
    sign_in(request.user)
    page = client.get("/organizaciones/mias").get_data(as_text=True)
    assert "Fundación Uno" in page and "Withdraw my representation of Fundación Uno" in page

    post(client, f"/organizaciones/solicitudes/{request.id}/retirar")

    assert request.state == RepresentationState.WITHDRAWN
    other = make_representation()
    assert post(client, f"/organizaciones/solicitudes/{other.id}/retirar").status_code == 403
    assert post(client, "/organizaciones/solicitudes/999999/retirar").status_code == 404
    assert other.state == RepresentationState.PENDING


# --- pages: the organisation ---------------------------------------------------------------------

def test_a_verified_organisation_is_public_without_its_representatives_contact_data(client, db):
    request = make_representation(make_user(email="secreta@example.org", phone="+56 9 1234 5678",
                                            display_name="Ana Secreta"),
                                  verified=True, name="Fundación Pública", identifier="76123456-0",
                                  website="https://publica.example")
    page = client.get(f"/organizaciones/{request.organisation.id}").get_data(as_text=True)
    assert "Fundación Pública" in page and "76.123.456-0" in page and 'href="https://publica.example"' in page
    assert "Sitio web" in page and "Organización de la sociedad civil" in page  # Spanish, the default
    assert "secreta@example.org" not in page and "1234 5678" not in page and "Ana Secreta" not in page


def test_an_organisation_not_verified_is_shown_to_its_requester_and_moderators_only(client, sign_in, db):
    request = make_representation()
    path = f"/organizaciones/{request.organisation.id}"
    assert client.get(path).status_code == 302
    sign_in(make_user())
    assert client.get(path).status_code == 403
    sign_in(make_moderator(make_jurisdiction()))
    assert client.get(path).status_code == 403
    sign_in(make_moderator(request.organisation.jurisdiction))
    assert client.get(path).status_code == 200
    sign_in(request.user)
    assert client.get(path).status_code == 200
    assert client.get("/organizaciones/999999").status_code == 404


# --- pages: moderation ---------------------------------------------------------------------------

@pytest.fixture
def two_municipalities(db):
    renca = make_jurisdiction(name="Renca", slug="renca")
    vitacura = make_jurisdiction(name="Vitacura", slug="vitacura")
    in_renca = make_representation(jurisdiction=renca, name="Fundación Renca")
    in_vitacura = make_representation(jurisdiction=vitacura, name="Fundación Vitacura")
    return renca, vitacura, in_renca, in_vitacura


def test_a_municipal_moderator_sees_and_decides_only_their_own(client, sign_in, two_municipalities):
    renca, vitacura, in_renca, in_vitacura = two_municipalities
    sign_in(make_moderator(renca))

    queue = client.get("/organizaciones/verificar").get_data(as_text=True)
    assert "Fundación Renca" in queue and "Fundación Vitacura" not in queue
    assert client.get("/organizaciones/verificar?j=renca").status_code == 200
    assert client.get("/organizaciones/verificar?j=vitacura").status_code == 403
    assert client.get(f"/organizaciones/solicitudes/{in_renca.id}").status_code == 200
    assert client.get(f"/organizaciones/solicitudes/{in_vitacura.id}").status_code == 403
    assert post(client, f"/organizaciones/solicitudes/{in_vitacura.id}/verificar",
                data={"verify-reason": ""}).status_code == 403
    assert post(client, f"/organizaciones/solicitudes/{in_vitacura.id}/rechazar",
                data={"reject-reason": "no"}).status_code == 403
    assert in_vitacura.state == RepresentationState.PENDING


def test_a_national_moderator_reaches_every_municipality(client, sign_in, two_municipalities):
    renca, vitacura, in_renca, in_vitacura = two_municipalities
    sign_in(make_moderator(make_national()))

    queue = client.get("/organizaciones/verificar").get_data(as_text=True)
    assert "Fundación Renca" in queue and "Fundación Vitacura" in queue
    for path in ("/organizaciones/verificar?j=vitacura", f"/organizaciones/solicitudes/{in_vitacura.id}"):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("role", [None, Role.ADMIN, Role.MESA_MEMBER, Role.REPORTER])
def test_people_who_do_not_moderate_get_403_on_the_moderation_pages(client, sign_in, two_municipalities, role):
    renca, _, in_renca, _ = two_municipalities
    person = make_grant(role=role, jurisdiction=renca).user if role else make_user()
    sign_in(person)
    assert client.get("/organizaciones/verificar").status_code == 403
    assert client.get(f"/organizaciones/solicitudes/{in_renca.id}").status_code == 403


def test_forged_ids_and_places_on_the_moderation_pages(client, sign_in, two_municipalities):
    sign_in(make_moderator(make_national()))
    assert client.get("/organizaciones/verificar?j=nowhere").status_code == 404
    assert client.get("/organizaciones/verificar?j=" + "x" * 500).status_code == 404
    assert client.get("/organizaciones/solicitudes/999999").status_code == 404
    assert post(client, "/organizaciones/solicitudes/999999/verificar").status_code == 404
    assert client.get("/organizaciones/solicitudes/abc").status_code == 404


def test_verifying_and_rejecting_by_the_pages(client, sign_in, two_municipalities, db):
    renca, _, in_renca, _ = two_municipalities
    sign_in(make_moderator(renca))
    review = client.get(f"/organizaciones/solicitudes/{in_renca.id}").get_data(as_text=True)
    assert "Verify the representation" in review and "Reject the request" in review
    assert in_renca.user.email in review  # the moderator sees who asked; the public never does

    no_reason = post(client, f"/organizaciones/solicitudes/{in_renca.id}/rechazar", data={"reject-reason": ""})
    assert no_reason.status_code == 200 and "This field is required" in no_reason.get_data(as_text=True)
    assert in_renca.state == RepresentationState.PENDING and mails_to(db, in_renca.user) == []

    response = post(client, f"/organizaciones/solicitudes/{in_renca.id}/verificar",
                    data={"verify-reason": "Known to us"}, follow_redirects=True)

    assert response.request.path == "/organizaciones/verificar"
    assert "No request is waiting" in response.get_data(as_text=True)
    assert in_renca.state == RepresentationState.VERIFIED and len(mails_to(db, in_renca.user)) == 1
    again = post(client, f"/organizaciones/solicitudes/{in_renca.id}/rechazar", data={"reject-reason": "late"})
    assert "already decided" in again.get_data(as_text=True)
    assert in_renca.state == RepresentationState.VERIFIED
