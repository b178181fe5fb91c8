"""Accounts: the whole life of an account through the web, links, enumeration, data download,
suspension and appeal, sessions, bad input."""
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import config
from consulta import create_app
from consulta.accounts import services, tokens
from consulta.accounts.models import Suspension, SuspensionState, User, UserState
from consulta.core.audit import StateChange
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.outbox import OutboxEmail
from consulta.core.permissions import can
from consulta.extensions import limiter
from consulta.jurisdictions.models import Role
from tests.factories import (DEFAULT_PASSWORD, make_grant, make_jurisdiction, make_moderator, make_representation,
                             make_user)

NEW_PASSWORD = "a much longer passphrase"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- helpers -------------------------------------------------------------------------------------

def token_of(response) -> str:
    return CSRF.search(response.get_data(as_text=True)).group(1)


def submit(client, path, data=None, *, page=None):
    """Open the page that holds the form (for its CSRF token), then post the form."""
    token = token_of(client.get(page or path))
    return client.post(path, data={**(data or {}), "csrf_token": token})


def sign_in(client, email, password=DEFAULT_PASSWORD):
    return submit(client, "/cuenta/ingresar", {"email": email, "password": password})


def mails_to(db, address) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == address)
                                   .order_by(OutboxEmail.id)))


def link_in(mail: OutboxEmail, prefix: str) -> str:
    """The path of the absolute link in an email's body that starts with `prefix`."""
    match = re.search(rf"http://localhost({re.escape(prefix)}\S+)", mail.body_text)
    assert match, f"no {prefix} link in: {mail.body_text}"
    return match.group(1)


def body_shape(response, *texts) -> str:
    """The page with what legitimately differs (the typed address, the CSRF token) taken out."""
    body = CSRF.sub('name="csrf_token" value=""', response.get_data(as_text=True))
    for text in texts:
        body = body.replace(text, "")
    return body


def user_by_email(db, address) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == address))


def make_staff(role: Role, jurisdiction):
    return make_grant(role=role, jurisdiction=jurisdiction).user


@pytest.fixture
def place(db):
    return make_jurisdiction()


# --- the whole life of an account ----------------------------------------------------------------

@pytest.mark.usefixtures("english")
def test_whole_account_life(client, db, login_as):
    # Sign up: the address is stored in lower case, unverified, with its creation in the history.
    response = submit(client, "/cuenta/registro", {"display_name": "Ana Pérez", "email": "Ana@Example.org",
                                                   "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/cuenta/revisa-tu-correo/registro")
    ana = user_by_email(db, "ana@example.org")
    assert ana is not None and not ana.is_verified and ana.state == UserState.ACTIVE
    created = db.session.scalar(select(StateChange).where(StateChange.object_type == "user",
                                                          StateChange.object_id == ana.id))
    assert (created.from_state, created.to_state, created.actor_id) == (None, "ACTIVE", ana.id)

    # Not before the address is confirmed; the page offers a new link.
    response = sign_in(client, "ana@example.org")
    assert response.status_code == 200
    assert "not verified yet" in response.get_data(as_text=True)
    assert "/cuenta/verificar/nuevo" in response.get_data(as_text=True)

    # The link from the outbox confirms it (a page with a button, then the POST).
    [welcome] = mails_to(db, "ana@example.org")
    verify_path = link_in(welcome, "/cuenta/verificar/")
    assert client.get(verify_path).status_code == 200
    response = submit(client, verify_path)
    assert response.status_code == 302 and response.location.endswith("/cuenta/ingresar")
    assert user_by_email(db, "ana@example.org").is_verified

    response = sign_in(client, "ana@example.org")
    assert response.status_code == 302 and response.location.endswith("/cuenta/")
    assert "ana@example.org" in client.get("/cuenta/").get_data(as_text=True)
    assert user_by_email(db, "ana@example.org").last_login_at is not None

    # Password reset through the emailed link.
    submit(client, "/cuenta/clave/olvido", {"email": "ana@example.org"})
    reset_path = link_in(mails_to(db, "ana@example.org")[-1], "/cuenta/clave/")
    response = submit(client, reset_path, {"password": NEW_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/cuenta/ingresar")
    assert sign_in(client, "ana@example.org").status_code == 200  # the old password no longer works
    assert sign_in(client, "ana@example.org", NEW_PASSWORD).status_code == 302

    # Change of email: pending until the link sent to the NEW address is followed; the old one is told.
    response = submit(client, "/cuenta/correo", {"new_email": "ana.nueva@example.org", "password": NEW_PASSWORD})
    assert response.status_code == 302
    ana = user_by_email(db, "ana@example.org")
    assert ana.pending_email == "ana.nueva@example.org"
    assert "ana.nueva@example.org" in mails_to(db, "ana@example.org")[-1].body_text
    [confirmation] = mails_to(db, "ana.nueva@example.org")
    confirm_path = link_in(confirmation, "/cuenta/correo/")
    assert submit(client, confirm_path).status_code == 302
    ana = user_by_email(db, "ana.nueva@example.org")
    assert ana is not None and ana.pending_email is None and user_by_email(db, "ana@example.org") is None

    submit(client, "/cuenta/perfil", {"display_name": "Ana Pérez", "phone": "+56 9 1234 5678"})
    assert user_by_email(db, "ana.nueva@example.org").phone == "+56 9 1234 5678"
    # Something she contributed: a request to represent an organisation.
    representation = make_representation(user=user_by_email(db, "ana.nueva@example.org"))
    db.session.commit()

    # Close: contact data and name gone, sessions ended, contributions kept under a pseudonym.
    acted = db.session.scalar(select(func.count()).select_from(StateChange).where(StateChange.actor_id == ana.id))
    response = submit(client, "/cuenta/cerrar", {"password": NEW_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    ana = db.session.get(User, ana.id)
    assert ana.state == UserState.CLOSED
    assert (ana.email, ana.pending_email, ana.phone, ana.password_hash) == (None, None, None, None)
    assert ana.pseudonym.startswith("Participante ") and ana.public_name == ana.pseudonym
    assert ana.display_name == ana.pseudonym
    assert db.session.scalar(select(func.count()).select_from(StateChange)
                             .where(StateChange.actor_id == ana.id)) == acted + 1
    assert client.get("/cuenta/").status_code == 302  # signed out
    assert sign_in(client, "ana.nueva@example.org", NEW_PASSWORD).status_code == 200

    # What she contributed stays, shown under the pseudonym, with no trace of her name or contacts.
    login_as(make_moderator(representation.organisation.jurisdiction))
    page = client.get(f"/organizaciones/solicitudes/{representation.id}").get_data(as_text=True)
    assert ana.pseudonym in page
    assert [text for text in ("Ana Pérez", "ana.nueva@example.org", "ana@example.org", "1234 5678")
            if text in page] == []


def test_a_closed_accounts_contributions_show_under_its_pseudonym(client, db, login_as, place):
    person = make_user(display_name="Rosa Contreras", phone="+56 2 2222 2222")
    moderator = make_staff(Role.MODERATOR, place)
    services.suspend(person, actor=moderator, jurisdiction=place, reason="Spam")
    services.close_account(person, actor=person)
    login_as(moderator)
    page = client.get("/cuenta/suspensiones").get_data(as_text=True)
    assert person.pseudonym in page
    assert "Rosa Contreras" not in page and "+56 2 2222 2222" not in page


@pytest.mark.usefixtures("english")
def test_closing_needs_the_password_and_only_the_owner(db, client, login_as):
    person, other = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        services.close_account(person, actor=other)
    login_as(person)
    response = submit(client, "/cuenta/cerrar", {"password": "not the password", "confirm": "y"})
    assert response.status_code == 200 and "The password is not right" in response.get_data(as_text=True)
    assert user_by_email(db, person.email).state == UserState.ACTIVE


def test_pseudonyms_are_unique(db):
    people = [make_user() for _ in range(5)]
    for person in people:
        services.close_account(person, actor=person)
    assert len({person.pseudonym for person in people}) == 5


# --- no account enumeration ----------------------------------------------------------------------

KNOWN = "known@example.org"
UNKNOWN = "nobody@example.org"


@pytest.fixture
def known(db):
    return make_user(email=KNOWN)


@pytest.mark.usefixtures("english")
def test_login_answers_alike_for_known_and_unknown_addresses(client, known):
    answers = [sign_in(client, address, "wrong password!") for address in (KNOWN, UNKNOWN)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert body_shape(answers[0], KNOWN) == body_shape(answers[1], UNKNOWN)
    assert "The email address or the password is not right" in answers[0].get_data(as_text=True)


def test_a_refusal_is_in_spanish_by_default(client, known):
    page = sign_in(client, KNOWN, "wrong password!").get_data(as_text=True)
    assert '<html lang="es"' in page and "El correo electrónico o la contraseña no son correctos." in page


@pytest.mark.parametrize("path, data, follow", [
    ("/cuenta/registro", {"display_name": "Somebody", "password": DEFAULT_PASSWORD}, "/cuenta/revisa-tu-correo/registro"),
    ("/cuenta/clave/olvido", {}, "/cuenta/revisa-tu-correo/clave"),
    ("/cuenta/verificar/nuevo", {}, "/cuenta/revisa-tu-correo/verificacion"),
])
def test_forms_about_an_address_answer_alike(client, db, known, path, data, follow):
    answers = [submit(client, path, {**data, "email": address}) for address in (KNOWN, UNKNOWN)]
    assert [answer.status_code for answer in answers] == [302, 302]
    assert [answer.location for answer in answers] == [follow, follow]
    pages = [client.get(answer.location) for answer in answers]
    assert body_shape(pages[0], KNOWN) == body_shape(pages[1], UNKNOWN)


def test_registering_a_taken_address_creates_nothing_and_tells_its_owner(client, db, known):
    known.locale = "en"  # the notice is written in its reader's language, not the page's
    before = db.session.scalar(select(func.count()).select_from(User))
    response = submit(client, "/cuenta/registro", {"display_name": "Impostor", "email": KNOWN.upper(),
                                                   "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    [notice] = mails_to(db, KNOWN)
    assert "already has one" in notice.body_text
    assert "/cuenta/ingresar" in notice.body_text and "/cuenta/clave/olvido" in notice.body_text
    assert user_by_email(db, KNOWN).display_name != "Impostor"


def test_create_user_refuses_a_duplicate(db, known):
    with pytest.raises(DomainError) as refused:
        services.create_user(email=" Known@Example.org ", password=DEFAULT_PASSWORD, display_name="Two")
    assert refused.value.field == "email"


# --- links: tampered, expired, reused ------------------------------------------------------------

def _registered(db, client, clock, address="link@example.org"):
    clock.at(2025, 3, 1, 12)
    submit(client, "/cuenta/registro", {"display_name": "Link", "email": address, "password": DEFAULT_PASSWORD})
    return link_in(mails_to(db, address)[-1], "/cuenta/verificar/")


@pytest.mark.usefixtures("english")
def test_a_tampered_link_is_refused_with_a_way_to_get_a_new_one(client, db, clock):
    path = _registered(db, client, clock)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    response = client.get(forged)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "not valid" in page
    assert 'action="/cuenta/verificar/nuevo"' in page
    assert not user_by_email(db, "link@example.org").is_verified


@pytest.mark.usefixtures("english")
def test_a_link_expires_after_48_hours(client, db, clock):
    path = _registered(db, client, clock)
    clock.at(datetime(2025, 3, 3, 12, tzinfo=UTC) - timedelta(seconds=1))
    assert client.get(path).status_code == 200
    clock.at(datetime(2025, 3, 3, 12, tzinfo=UTC) + timedelta(seconds=1))
    response = client.get(path)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert 'action="/cuenta/verificar/nuevo"' in response.get_data(as_text=True)


@pytest.mark.usefixtures("english")
def test_a_link_works_once(client, db, clock):
    path = _registered(db, client, clock)
    assert submit(client, path).status_code == 302
    response = client.get(path)
    assert response.status_code == 400 and "already used" in response.get_data(as_text=True)


def test_a_reset_link_expires_and_dies_with_a_later_reset(client, db, clock, known):
    clock.at(2025, 3, 1, 12)
    submit(client, "/cuenta/clave/olvido", {"email": KNOWN})
    submit(client, "/cuenta/clave/olvido", {"email": KNOWN})
    first, second = (link_in(mail, "/cuenta/clave/") for mail in mails_to(db, KNOWN))
    clock.at(2025, 3, 1, 14, 0, 1)
    response = client.get(first)
    assert response.status_code == 400 and 'action="/cuenta/clave/olvido"' in response.get_data(as_text=True)
    clock.at(2025, 3, 1, 13)
    assert submit(client, second, {"password": NEW_PASSWORD}, page=second).status_code == 302
    assert client.get(first).status_code == 400  # the reset bumped the session version


def test_a_link_made_for_one_purpose_is_refused_for_another(db, known):
    verification = tokens.make(tokens.VERIFY, known, email=known.email)
    with pytest.raises(tokens.InvalidLink):
        services.check_link(tokens.RESET, verification)


@pytest.mark.usefixtures("english")
def test_a_short_password_does_not_use_up_the_reset_link(client, db, known):
    submit(client, "/cuenta/clave/olvido", {"email": KNOWN})
    path = link_in(mails_to(db, KNOWN)[-1], "/cuenta/clave/")
    response = submit(client, path, {"password": "short"})
    assert response.status_code == 200 and "between 10 and 128" in response.get_data(as_text=True)
    assert submit(client, path, {"password": NEW_PASSWORD}).status_code == 302


# --- sessions ------------------------------------------------------------------------------------

def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_signing_in_renews_the_session(client, known):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["lang"] = "en"
    before = _session_cookie(client)
    assert sign_in(client, KNOWN).status_code == 302
    assert _session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session and session["lang"] == "en"


def test_a_reset_signs_out_every_other_session(app, client, db, known):
    elsewhere = app.test_client()
    assert sign_in(elsewhere, KNOWN).status_code == 302
    assert elsewhere.get("/cuenta/").status_code == 200
    submit(client, "/cuenta/clave/olvido", {"email": KNOWN})
    submit(client, link_in(mails_to(db, KNOWN)[-1], "/cuenta/clave/"), {"password": NEW_PASSWORD})
    assert elsewhere.get("/cuenta/").status_code == 302


def test_signing_out(client, known):
    sign_in(client, KNOWN)
    response = submit(client, "/cuenta/salir", page="/cuenta/")
    assert response.status_code == 302
    assert client.get("/cuenta/").status_code == 302


def test_a_password_hashed_with_old_settings_is_rehashed_with_argon2(app, db, known, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH", "argon2")
    assert not known.password_hash.startswith("$argon2")
    services.authenticate(KNOWN, DEFAULT_PASSWORD)
    assert known.password_hash.startswith("$argon2")
    assert services.authenticate(KNOWN, DEFAULT_PASSWORD) is known


# --- download my data ----------------------------------------------------------------------------

def _archive(response) -> dict:
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def test_download_my_data_is_for_the_person_only(client, db, login_as):
    person = make_user(display_name="Dueña", phone="+56 9 8888 8888")
    other = make_user()
    assert client.get("/cuenta/mis-datos.zip").status_code == 302  # visitors: sign in first

    login_as(person)
    response = client.get("/cuenta/mis-datos.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    files = _archive(response)
    assert {"account.json", "history.json", "organisations.json", "suspensions.json"} <= set(files)
    assert files["account.json"][0]["email"] == person.email
    assert files["account.json"][0]["phone"] == "+56 9 8888 8888"
    assert any(row["object_id"] == person.id and row["to_state"] == "ACTIVE" for row in files["history.json"])

    login_as(other)
    assert _archive(client.get("/cuenta/mis-datos.zip"))["account.json"][0]["email"] == other.email
    with pytest.raises(PermissionDenied):
        services.download_data(person, actor=other)


def test_data_exports_are_extensible_and_names_unique():
    from consulta.accounts.exports import register_data_export, registered_exports

    assert "organisations" in registered_exports()
    with pytest.raises(RuntimeError):
        register_data_export("account", lambda user: [])


# --- suspension ----------------------------------------------------------------------------------

def test_suspension_appeal_and_decision(client, db, login_as, place):
    person = make_user()
    moderator = make_staff(Role.MODERATOR, place)
    admin = make_staff(Role.ADMIN, place)

    login_as(moderator)
    response = submit(client, f"/cuenta/suspensiones/nueva/{person.id}",
                      {"jurisdiction": place.id, "reason": "Insultos repetidos"})
    assert response.status_code == 302
    suspension = db.session.scalar(select(Suspension).where(Suspension.user_id == person.id))
    assert suspension.state == SuspensionState.ACTIVE
    assert user_by_email(db, person.email).state == UserState.SUSPENDED
    assert "Insultos repetidos" in mails_to(db, person.email)[-1].body_text

    # The suspended person signs in, reads the reason, appeals; the administrator is told.
    client.post("/cuenta/salir", data={"csrf_token": token_of(client.get("/cuenta/suspensiones"))})
    assert sign_in(client, person.email).status_code == 302
    page = client.get("/cuenta/suspension").get_data(as_text=True)
    assert "Insultos repetidos" in page
    assert submit(client, "/cuenta/suspension", {"text": "No fui yo"}).status_code == 302
    db.session.expire_all()
    assert suspension.state == SuspensionState.APPEALED and suspension.appeal == "No fui yo"
    assert f"/cuenta/suspensiones/{suspension.id}" in mails_to(db, admin.email)[-1].body_text

    # A moderator may read the case but not decide it; the administrator lifts it.
    login_as(moderator)
    decision = {"outcome": "lift", "reason": "Error de identidad"}
    page = f"/cuenta/suspensiones/{suspension.id}"
    assert submit(client, page, decision).status_code == 403
    login_as(admin)
    assert submit(client, page, decision).status_code == 302
    db.session.expire_all()
    assert suspension.state == SuspensionState.LIFTED and suspension.user.state == UserState.ACTIVE
    assert "Error de identidad" in mails_to(db, person.email)[-1].body_text
    assert [row.to_state for row in db.session.scalars(
        select(StateChange).where(StateChange.object_type == "suspension").order_by(StateChange.id))] == [
        "ACTIVE", "APPEALED", "LIFTED"]


def test_an_upheld_suspension_stays(db, place):
    person = make_user()
    moderator, admin = make_staff(Role.MODERATOR, place), make_staff(Role.ADMIN, place)
    suspension = services.suspend(person, actor=moderator, jurisdiction=place, reason="Spam")
    services.appeal(suspension, actor=person, text="Please")
    services.decide_appeal(suspension, actor=admin, lift=False, reason="Confirmed spam")
    assert suspension.state == SuspensionState.UPHELD and person.state == UserState.SUSPENDED
    with pytest.raises(DomainError):
        services.appeal(suspension, actor=person, text="Again")


def test_suspending_is_for_moderators_of_that_jurisdiction(client, db, login_as, place):
    person = make_user()
    elsewhere = make_jurisdiction()
    outsider = make_staff(Role.MODERATOR, elsewhere)
    with pytest.raises(PermissionDenied):
        services.suspend(person, actor=outsider, jurisdiction=place, reason="No")
    login_as(outsider)
    response = submit(client, f"/cuenta/suspensiones/nueva/{person.id}", {"jurisdiction": place.id, "reason": "No"})
    assert response.status_code == 200 and 'id="jurisdiction-error"' in response.get_data(as_text=True)
    assert user_by_email(db, person.email).state == UserState.ACTIVE
    login_as(make_user())
    assert client.get(f"/cuenta/suspensiones/nueva/{person.id}").status_code == 403


def test_a_suspended_person_is_refused_actions_but_may_read_and_appeal(client, db, login_as, place):
    person = make_staff(Role.MODERATOR, place)
    services.suspend(person, actor=make_staff(Role.MODERATOR, place), jurisdiction=place, reason="Abuse")
    assert not can(person, "moderate", place)
    assert can(person, "appeal_suspension", services.suspensions_of(person)[0])
    login_as(person)
    assert client.get("/cuenta/").status_code == 200
    assert client.get("/cuenta/mis-datos.zip").status_code == 200
    response = submit(client, "/cuenta/perfil", {"display_name": "Otro nombre"}, page="/cuenta/")
    assert response.status_code == 403
    assert user_by_email(db, person.email).display_name != "Otro nombre"


# --- staff landing page --------------------------------------------------------------------------

def test_staff_page_lists_roles_and_pages(client, db, login_as, place):
    assert client.get("/cuenta/equipo").status_code == 302
    login_as(make_user())
    assert client.get("/cuenta/equipo").status_code == 403
    login_as(make_staff(Role.MODERATOR, place))
    page = client.get("/cuenta/equipo").get_data(as_text=True)
    assert place.name in page and "/cuenta/suspensiones" in page


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path, data, message", [
    ("/cuenta/registro", {"display_name": "x" * 81, "email": "a@example.org", "password": DEFAULT_PASSWORD},
     "at most 80"),
    ("/cuenta/registro", {"display_name": "Ok", "email": "a" * 250 + "@example.org", "password": DEFAULT_PASSWORD},
     "at most 254"),
    ("/cuenta/registro", {"display_name": "Ok", "email": "not an address", "password": DEFAULT_PASSWORD},
     "does not look like an email address"),
    ("/cuenta/registro", {"display_name": "Ok", "email": "a@example.org", "password": "x" * 129},
     "between 10 and 128"),
    ("/cuenta/registro", {"display_name": "Ok", "email": "a@example.org", "password": "short"}, "between 10 and 128"),
    ("/cuenta/ingresar", {"email": "@@", "password": "whatever it is"}, "does not look like an email address"),
    ("/cuenta/ingresar", {"email": "a@example.org", "password": "x" * 129}, "at most 128"),
    ("/cuenta/clave/olvido", {"email": "x" * 300}, "at most 254"),
    ("/cuenta/verificar/nuevo", {"email": ""}, "Write an email address"),
])
@pytest.mark.usefixtures("english")
def test_bad_input_gets_a_message_never_a_500(client, db, path, data, message):
    response = submit(client, path, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "a@example.org")) == 0


@pytest.mark.parametrize("path, data, message", [
    ("/cuenta/perfil", {"display_name": "Ok", "phone": "9" * 31}, "at most 30"),
    ("/cuenta/perfil", {"display_name": "Ok", "phone": "call me maybe"}, "digits only"),
    ("/cuenta/perfil", {"display_name": "", "phone": ""}, "Write the name"),
    ("/cuenta/correo", {"new_email": "nope", "password": DEFAULT_PASSWORD}, "does not look like an email address"),
    ("/cuenta/correo", {"new_email": "new@example.org", "password": "wrong password"}, "The password is not right"),
    ("/cuenta/suspension", {"text": "x"}, "never been suspended"),
])
@pytest.mark.usefixtures("english")
def test_bad_account_input_gets_a_message(client, db, login_as, path, data, message):
    login_as(make_user())
    response = submit(client, path, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_a_garbage_link_is_refused_not_a_500(client, db):
    for path in ("/cuenta/verificar/x", "/cuenta/clave/%00%ff", "/cuenta/correo/" + "a" * 2000):
        assert client.get(path).status_code in {400, 302}


# --- rate limits ---------------------------------------------------------------------------------

def test_sign_in_attempts_are_rate_limited(app, db, monkeypatch):
    # The suite runs without limits; an app of its own turns them on (the limiter is shared, so
    # its switch is put back afterwards).
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    limited = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         RATELIMIT_ENABLED=True, RATELIMIT_AUTH="2 per minute")
    client = limited.test_client()
    limiter.reset()
    try:
        statuses = [sign_in(client, UNKNOWN, "wrong password!").status_code for _ in range(3)]
        assert client.get("/cuenta/ingresar").status_code == 200  # reading the form is not limited
    finally:
        limiter.reset()
    assert statuses == [200, 200, 429]


# --- command line --------------------------------------------------------------------------------

@pytest.mark.usefixtures("english_messages")
def test_flask_users_create_makes_a_verified_account(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Cli@Example.org", "--name", "Cli", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert user_by_email(db, "cli@example.org").is_verified
    again = runner.invoke(args=["users", "create", "cli@example.org", "--name", "Cli", "--password", NEW_PASSWORD])
    assert again.exit_code != 0 and "already exists" in again.output


# --- every page ----------------------------------------------------------------------------------

def test_every_accounts_page_answers_with_one_heading(client, db, login_as, place):
    person = make_user()
    admin = make_staff(Role.ADMIN, place)
    moderator = make_staff(Role.MODERATOR, place)
    suspension = services.suspend(person, actor=moderator, jurisdiction=place, reason="Spam")
    services.appeal(suspension, actor=person, text="No")
    pages = {
        None: ["/cuenta/ingresar", "/cuenta/registro", "/cuenta/clave/olvido", "/cuenta/verificar/nuevo",
               "/cuenta/revisa-tu-correo/clave", "/cuenta/verificar/forged", "/cuenta/clave/forged",
               "/cuenta/correo/forged"],
        person: ["/cuenta/", "/cuenta/suspension", "/cuenta/cerrar"],
        admin: ["/cuenta/", "/cuenta/perfil", "/cuenta/correo", "/cuenta/equipo", "/cuenta/suspensiones",
                f"/cuenta/suspensiones/{suspension.id}"],
        moderator: [f"/cuenta/suspensiones/nueva/{admin.id}"],
    }
    for who, paths in pages.items():
        if who is not None:
            login_as(who)
        for path in paths:
            response = client.get(path)
            assert response.status_code in {200, 400}, path
            assert response.get_data(as_text=True).count("<h1") == 1, path
