"""A newcomer's first steps, clicked in a real browser: sign up, confirm the address with the link
from the outbox, sign in, ask to represent an organisation, and a moderator verifies it — once in
Spanish (the default) and once in English, each page checked by axe."""
import pytest
from playwright.sync_api import expect

import config
from consulta import create_app
from consulta.extensions import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PLACE = "Lo Espejo de Prueba"
# The header's links, as each language names them.
WORDS = {
    "es": {"register": "Crear una cuenta", "sign_in": "Ingresar"},
    "en": {"register": "Create an account", "sign_in": "Sign in"},
}


@pytest.fixture(scope="module")
def moderator_email(live_server):
    """A moderator of a municipality, in the live server's database, made through the services."""
    from consulta.accounts.services import create_user
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import create_jurisdiction, grant_role

    seeding = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=live_server.database_url)
    with seeding.app_context():
        place = create_jurisdiction(name=PLACE, slug="lo-espejo-prueba", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)
        moderator = create_user(email="moderator.journey@example.org", password=PASSWORD,
                                display_name="Marta Modera", verified=True)
        grant_role(moderator, Role.MODERATOR, place, actor=None)
        db.session.commit()
        return moderator.email


def _open(browser, live_server, language):
    """A fresh browser in `language`: Spanish is the default, English is one click on the switch."""
    page = browser.new_context(base_url=live_server.url, locale="es-CL", bypass_csp=True).new_page()
    page.goto("/")
    if language == "en":
        page.locator("nav.lang a[hreflang=en]").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    return page


def _submit(page):
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def _sign_in(page, language, email):
    page.locator("header").get_by_role("link", name=WORDS[language]["sign_in"], exact=True).click()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    _submit(page)


@pytest.mark.parametrize("language", ["es", "en"])
def test_sign_up_verify_and_represent_an_organisation(browser, live_server, moderator_email, outbox_messages,
                                                      axe_check, language):
    email = f"nueva.{language}@example.org"
    organisation = f"Junta de Vecinos {language.upper()}"

    # Sign up from the header's link.
    person = _open(browser, live_server, language)
    person.locator("header").get_by_role("link", name=WORDS[language]["register"]).click()
    axe_check(person)
    person.locator("#display_name").fill(f"Nadia Nueva {language}")
    person.locator("#email").fill("not an address")
    person.locator("#password").fill(PASSWORD)
    _submit(person)
    expect(person.locator("#error-summary")).to_be_visible()
    expect(person.locator("#email-error")).to_be_visible()
    axe_check(person)
    person.locator("#email").fill(email)
    person.locator("#password").fill(PASSWORD)
    _submit(person)
    person.wait_for_url("**/cuenta/revisa-tu-correo/registro")
    assert person.locator("html").get_attribute("lang") == language
    axe_check(person)

    # Not yet: the address is unconfirmed, and the page says how to get a new link.
    _sign_in(person, language, email)
    expect(person.locator("#error-summary")).to_be_visible()
    expect(person.locator("main a[href='/cuenta/verificar/nuevo']")).to_be_visible()

    # The link printed by the outbox, written in the person's language, confirms the address.
    [welcome] = outbox_messages(to=email)
    [link] = [link for link in welcome.links if "/cuenta/verificar/" in link]
    assert link.startswith(live_server.url)
    person.goto(link)
    axe_check(person)
    _submit(person)
    person.wait_for_url("**/cuenta/ingresar")
    axe_check(person)

    _sign_in(person, language, email)
    person.wait_for_url("**/cuenta/")
    expect(person.locator("main").get_by_text(email)).to_be_visible()
    axe_check(person)

    # Ask to represent an organisation, from the account page.
    person.locator("main a[href='/organizaciones/mias']").click()
    person.locator("main a[href='/organizaciones/solicitar']").click()
    person.locator("#name").fill(organisation)
    person.locator("input[name=sector][value=OSC]").check()
    person.locator("#jurisdiction").select_option(label=PLACE)
    _submit(person)
    person.wait_for_url("**/organizaciones/mias")
    expect(person.locator("main .badge-pending").first).to_be_visible()

    # A moderator of that municipality finds it from the staff area and verifies it.
    moderator = _open(browser, live_server, language)
    _sign_in(moderator, language, moderator_email)
    moderator.locator("header a[href='/cuenta/equipo']").click()
    expect(moderator.locator("main").get_by_text(PLACE).first).to_be_visible()
    axe_check(moderator)
    moderator.locator("main a[href='/organizaciones/verificar']").click()
    moderator.locator("main").get_by_role("link", name=organisation).click()
    moderator.locator("#verify-reason").fill("Conocida en la comuna")
    moderator.locator("#verify-title ~ form button[type=submit]").click()
    moderator.wait_for_url("**/organizaciones/verificar")

    person.reload()
    expect(person.locator("main .badge-verified").first).to_be_visible()
    assert person.locator("html").get_attribute("lang") == language
    decision = outbox_messages(to=email)[0]
    assert organisation in decision.subject and "Conocida en la comuna" in decision.body_text
