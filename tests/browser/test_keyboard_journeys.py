"""The main journeys with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys; no mouse),
on the demo: signing in, sending a proposal, registering for a working table, commenting in the
consultation and reporting progress. Every element that takes focus shows it; after a page change
focus starts at the top of the new page (the skip link comes next), and after a refused submission
it is on the list of errors. Registering and reporting run with JavaScript off as well: nothing on
the way needs it (intake and commenting without JavaScript are in their own journeys).
"""
import time

import pytest
from sqlalchemy import select

from tests.browser.demo_routes import CITIZEN, REPORTER, Records, email_of

pytestmark = pytest.mark.browser

TAB_LIMIT = 120

# Where focus is and whether it shows: an outline or a box shadow on the focused element.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {where: 'document'};
  const style = getComputedStyle(el);
  const shown = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 40);
  return {where: name, shown, summary: el.matches('.error-summary')};
}"""


class Keyboard:
    """A person at the keyboard: moves focus with Tab until it reaches what they want, checking at
    every stop that they can see where focus is."""

    def __init__(self, page):
        self.page = page

    def focus(self) -> dict:
        return self.page.evaluate(FOCUS)

    def _visible_focus(self) -> dict:
        focus = self.focus()
        assert focus["where"] == "document" or focus["shown"], f"focus is not visible on {focus['where']}"
        return focus

    def tab_to(self, selector: str, backwards: bool = False) -> None:
        for _ in range(TAB_LIMIT):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self._visible_focus()
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} is not reachable with the keyboard on {self.page.url}")

    def type(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def activate(self, selector: str, key: str = "Enter") -> None:
        """Reach a link or button and press it; the next page starts with focus at its top, or on
        its list of errors."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.page.wait_for_load_state()
        if self.page.locator(".error-summary").count():
            # `autofocus` is applied at the browser's next rendering step, which may come after
            # the load event: give it a moment before asking where focus is. (Polled from here:
            # wait_for_function evaluates a string, which the pages' CSP refuses.)
            deadline = time.monotonic() + 3
            while not self.focus().get("summary") and time.monotonic() < deadline:
                self.page.wait_for_timeout(50)
            focus = self._visible_focus()
            assert focus.get("summary"), f"after an error focus is on {focus['where']}, not the error summary"
        else:
            focus = self._visible_focus()
            assert focus["where"] == "document", f"a new page starts with focus on {focus['where']}"
            self.page.keyboard.press("Tab")
            assert self.page.evaluate("document.activeElement.matches('.skip-link')"), "the skip link is not first"
            self.page.keyboard.press("Shift+Tab")

    def sign_in(self, who: str, password: str) -> None:
        self.page.goto("/")
        self.activate("a[href$='/cuenta/ingresar']")
        self.type("#email", email_of(who))
        self.type("#password", "not the password")
        self.activate("main form button[type=submit]")  # refused: focus on the error summary
        self.type("#password", password)
        self.activate("main form button[type=submit]")
        assert "/cuenta/ingresar" not in self.page.url


@pytest.fixture
def places(demo_server):
    """The demo's places the journeys start from, as addresses; "table": one Camila has not
    registered for yet (each run of the registration journey takes another)."""
    from consulta.extensions import db
    from consulta.tables.models import Registration, WorkingTable

    with demo_server.app_context():
        d = Records()
        free_tables = db.session.scalars(
            select(WorkingTable.id).where(WorkingTable.cycle_id == d.ren1.id, WorkingTable.id.not_in(
                select(Registration.table_id).where(Registration.user_id == d.user(CITIZEN).id)))
            .order_by(WorkingTable.id.desc())).all()
        return {"renca": f"/j/{d.renca.slug}/{d.ren1.slug}",
                "table": f"/mesas/{free_tables[0]}" if free_tables else None,
                "activity": f"/j/{d.national.slug}/{d.pa4.slug}/seguimiento/actividades/{d.activity.id}"}


def _context(browser, server, javascript: bool):
    context = browser.new_context(base_url=server.url, locale="es-CL", java_script_enabled=javascript)
    page = context.new_page()
    page.csp_refusals = []
    page.on("console", lambda message: page.csp_refusals.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


@pytest.fixture
def person(browser, demo_server):
    """`person(who, javascript=True)`: a keyboard in a fresh browser, signed in as a demo account
    through the sign-in journey."""
    pages = []

    def sign_in(who, javascript=True):
        page = _context(browser, demo_server, javascript)
        pages.append(page)
        keyboard = Keyboard(page)
        keyboard.sign_in(who, demo_server.passwords[email_of(who)])
        return keyboard

    yield sign_in
    for page in pages:
        assert page.csp_refusals == [], page.csp_refusals
        page.context.close()


def test_a_citizen_writes_and_sends_a_proposal_by_keyboard(person, places):
    keyboard = person(CITIZEN)
    page = keyboard.page
    page.goto(places["renca"] + "/propuestas")
    keyboard.activate("main a[href$='/propuestas/nueva']")
    keyboard.activate("button[name=review]")  # nothing written yet: refused, focus on the errors
    keyboard.type("#title", "Mapa de luminarias apagadas")
    keyboard.type("#problem", "Muchas calles de Renca quedan a oscuras y nadie sabe cuándo se repararán.")
    keyboard.type("#body", "Publicar un mapa con cada luminaria apagada, la fecha del aviso y la de su arreglo.")
    keyboard.tab_to("#area")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#area") != ""
    keyboard.tab_to("input[name=values]")
    page.keyboard.press("Space")
    keyboard.activate("button[name=review]")
    assert page.url.endswith("/revisar")
    keyboard.activate("main form button[type=submit]:not([name])")
    assert page.locator("h1").inner_text() == "Mapa de luminarias apagadas"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_citizen_registers_for_a_working_table_by_keyboard(person, places, javascript):
    keyboard = person(CITIZEN, javascript=javascript)
    page = keyboard.page
    page.goto(places["table"])
    keyboard.activate(f"main a[href$='{places['table']}/inscripcion']")
    keyboard.tab_to("input[name=take_part_as]")
    page.keyboard.press("Space")
    keyboard.type("#needs", "Intérprete de lengua de señas")
    keyboard.activate("main form button[type=submit]")
    assert page.url.endswith(places["table"])
    assert page.locator("main form[action$='/cancelar']").count() == 1  # registered: it can be cancelled


def test_a_citizen_comments_in_the_consultation_by_keyboard(person, places):
    keyboard = person(CITIZEN)
    page = keyboard.page
    page.goto(places["renca"] + "/consulta/plan")
    keyboard.type("#text", "Sumaría un compromiso sobre el acceso a las actas del concejo municipal.")
    keyboard.activate("main form[action$='/consulta/plan'] button[type=submit]")  # no position: refused
    keyboard.tab_to("input[name=alignment]")
    page.keyboard.press("ArrowDown")  # the next position, chosen by the arrow key
    assert page.locator("input[name=alignment]:checked").count() == 1
    keyboard.tab_to("main form[action$='/consulta/plan'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "#comment-" in page.url
    assert "Sumaría un compromiso" in page.locator("main").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_reporter_reports_progress_by_keyboard(person, places, javascript):
    keyboard = person(REPORTER, javascript=javascript)
    page = keyboard.page
    page.goto(places["activity"])
    keyboard.activate("main a[href$='/informar']")
    keyboard.type("#narrative", "Se publicó la guía de implementación y se capacitó a doce municipios.")
    keyboard.type("#percent", "140")
    keyboard.activate("main form button[type=submit]")  # refused: at most 100 %
    assert page.input_value("#narrative").startswith("Se publicó la guía")
    keyboard.type("#percent", "90")
    keyboard.activate("main form button[type=submit]")
    assert "/seguimiento/informes/" in page.url
    assert "Se publicó la guía de implementación" in page.locator("main").inner_text()
