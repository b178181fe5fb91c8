"""Every GET route, opened in a real browser on the demo: axe-core with no rule disabled, phone
widths (320 and 360 px: no horizontal scrolling, tap targets of 24 px), text at 200 %, the weight
of each page and the hosts it calls. Downloads are checked for their status and type.

One walk (`walk`) opens every page — public ones in Spanish and in English, staff ones signed in as
the demo account that may see them, and every form again after an empty submission — and records
what it measured; each test below reads one measure from it.
"""
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.browser.demo_routes import EXTRA_PASSWORD, SUSPENDED, complete_the_demo, email_of, visits

pytestmark = pytest.mark.browser

PAGE_BUDGET = 60_000  # bytes of HTML + CSS + JS, as received
PHONE_WIDTHS = (320, 360)
DESKTOP = {"width": 1280, "height": 900}
MIN_TARGET = 24
# Transferred bytes that count towards the budget.
WEIGHED_TYPES = {"document", "stylesheet", "script"}

# For one page: does it scroll sideways, and which of its targets are too small and too close to
# another (WCAG 2.5.8: smaller than 24 px is fine when a 24 px circle on it touches no other target,
# and links inside a sentence are exempt).
PHONE_PROBE = """(minimum) => {
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('.visually-hidden, .skip-link'); };
  const inSentence = (el) => el.tagName === 'A' && getComputedStyle(el).display === 'inline'
    && el.parentElement.textContent.trim().length > el.textContent.trim().length;
  const targets = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
    .filter(visible).filter((el) => !inSentence(el))
    .map((el) => { const r = el.getBoundingClientRect();
      return {el, r, cx: r.left + r.width / 2, cy: r.top + r.height / 2}; });
  const small = targets.filter((t) => t.r.width < minimum || t.r.height < minimum);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
    (el.textContent || el.value || el.name || '').trim().slice(0, 40) + '"';
  const crowded = small.filter((t) => targets.some((o) => {
    if (o === t || o.el.contains(t.el) || t.el.contains(o.el)) return false;
    const oSmall = o.r.width < minimum || o.r.height < minimum;
    if (oSmall) return Math.hypot(o.cx - t.cx, o.cy - t.cy) < minimum;
    const dx = Math.max(o.r.left - t.cx, 0, t.cx - o.r.right), dy = Math.max(o.r.top - t.cy, 0, t.cy - o.r.bottom);
    return Math.hypot(dx, dy) < minimum / 2;
  })).map((t) => `${name(t.el)} ${Math.round(t.r.width)}x${Math.round(t.r.height)}`);
  return {overflow, crowded};
}"""

# An empty submission: every text box and choice of the first form in <main> that has a required
# field is emptied, then the form is sent with its first button.
EMPTY_FORM = """() => {
  const form = [...document.querySelectorAll('main form[method=post]')].find((f) => f.querySelector('[required]'));
  if (!form) return false;
  form.querySelectorAll('textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file])')
    .forEach((box) => { box.value = ''; });
  form.querySelectorAll('input[type=radio], input[type=checkbox]').forEach((box) => { box.checked = false; });
  form.setAttribute('data-emptied', '');
  return true;
}"""


@dataclass
class Result:
    label: str
    url: str
    problems: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    phone: list = field(default_factory=list)
    weight: int | None = None


@dataclass
class Walk:
    routes: int
    missing: list
    results: list
    downloads: list
    foreign: list
    bytes_by_route: dict
    seconds: dict


class Browsing:
    """The walk's browser contexts: a visitor per language and one per demo account, each signed in
    once and reused, with the cache off so that every page weighs what a first visit weighs."""

    def __init__(self, browser, server, axe_script):
        self.browser, self.server, self.axe_script = browser, server, axe_script
        self.contexts = {}
        self.foreign = []

    def page(self, who, language):
        key = (who, language)
        if key not in self.contexts:
            context = self.browser.new_context(base_url=self.server.url, locale="es-CL", bypass_csp=True,
                                               viewport=DESKTOP)
            # axe-core comes with every page the context opens: sent to the browser once, not per page.
            context.add_init_script(script=self.axe_script)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            page.on("request", self._watch_host)
            if language == "en":
                page.goto("/")
                page.locator("nav.lang a[hreflang=en]").click()
                page.wait_for_load_state()
            if who is not None:
                self._sign_in(page, who)
            self.contexts[key] = page
        return self.contexts[key]

    def _watch_host(self, request):
        if urlsplit(request.url).scheme in ("http", "https") and not request.url.startswith(self.server.url):
            self.foreign.append(request.url)

    def _sign_in(self, page, who):
        email = email_of(who)
        page.goto("/cuenta/ingresar")
        page.fill("#email", email)
        page.fill("#password", EXTRA_PASSWORD if who == SUSPENDED else self.server.passwords[email])
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/cuenta/ingresar" not in page.url, f"{who} could not sign in"

    def close(self):
        for page in self.contexts.values():
            page.context.close()


SECONDS = defaultdict(float)


@contextmanager
def _timed(step):
    started = time.monotonic()
    try:
        yield
    finally:
        SECONDS[step] += time.monotonic() - started


def _check_page(page, result):
    with _timed("axe"):
        _run_axe(page, result)
    with _timed("phone and zoom"):
        _check_widths(page, result)


def _run_axe(page, result):
    result.violations = [
        f"{violation['id']} ({violation.get('impact')}): {violation['help']}\n" + "\n".join(
            f"      at {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}".replace("\n", " ")
            for node in violation["nodes"][:4])
        for violation in page.evaluate("axe.run({resultTypes: ['violations']}).then((found) => found.violations)")]


def _check_widths(page, result):
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    zoomed = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.evaluate("document.documentElement.style.fontSize = ''")
    if zoomed > 0:
        result.phone.append(f"text at 200 %: {zoomed} px wider than the window")
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 720})
        probe = page.evaluate(PHONE_PROBE, MIN_TARGET)
        if probe["overflow"] > 0:
            result.phone.append(f"{width} px: {probe['overflow']} px wider than the window")
        if probe["crowded"]:
            result.phone.append(f"{width} px: targets under {MIN_TARGET} px and crowded: {probe['crowded'][:6]}")
    page.set_viewport_size(DESKTOP)


def _open(page, visit, language):
    """Open a page and the bytes of HTML, CSS and JS it received."""
    responses = []

    def record(answer):
        responses.append(answer)

    page.on("response", record)
    try:
        response = page.goto(visit.path, wait_until="load")
    finally:
        page.remove_listener("response", record)
    weight = sum(len(item.body()) for item in responses
                 if item.request.resource_type in WEIGHED_TYPES and not 300 <= item.status < 400)
    problems = []
    if response is None or response.status != 200:
        problems.append(f"answered {response.status if response else 'nothing'}")
    if "/cuenta/ingresar" in page.url and visit.endpoint != "accounts.login":
        problems.append("sent to the sign-in page")
    if language and page.locator("html").get_attribute("lang") != language:
        problems.append(f"not in {language}")
    return weight, problems


def _redirect(browser, server, visit):
    """Followed in a browser of its own: the language switch would switch the walk's visitors."""
    context = browser.new_context(base_url=server.url)
    try:
        answer = context.request.get(visit.path, max_redirects=0)
        return None if answer.status in (302, 303) else f"{visit.path}: {answer.status} (expected a redirect)"
    finally:
        context.close()


def _download(page, visit):
    answer = page.context.request.get(visit.path)
    kind = answer.headers.get("content-type", "").split(";")[0]
    expected = visit.expected_type
    if answer.status != 200 or kind == "text/html" or (expected and kind != expected):
        return f"{visit.path}: {answer.status} {kind} (expected 200 {expected or 'a file'})"
    return None


@pytest.fixture(scope="module")
def walk(demo_server, browser):
    from axe_playwright_python.sync_playwright import Axe

    with demo_server.app_context() as app:
        complete_the_demo(app)
        found, missing = visits(app)
        routes = len({visit.rule for visit in found}) + len(missing)
        methods = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    SECONDS.clear()
    browsing = Browsing(browser, demo_server, Axe().axe_script)
    results, downloads, weights = [], [], defaultdict(int)
    try:
        for visit in found:
            if visit.redirect:
                downloads.append(_redirect(browser, demo_server, visit))
                continue
            if visit.download:
                downloads.append(_download(browsing.page(visit.who, "es"), visit))
                continue
            languages = ("es", "en") if visit.who is None else (None,)
            for language in languages:
                page = browsing.page(visit.who, language or "es")
                label = f"{visit.endpoint} [{visit.who or 'visitor'}{', ' + language if language else ''}]"
                result = Result(label, visit.path)
                with _timed("open"):
                    result.weight, result.problems = _open(page, visit, language)
                weights[visit.rule] = max(weights[visit.rule], result.weight)
                _check_page(page, result)
                results.append(result)
                if "POST" in methods[visit.rule] and page.evaluate(EMPTY_FORM):
                    failed = Result(f"{label} after an empty submission", visit.path)
                    with _timed("submit"), page.expect_navigation():
                        page.locator("main form[data-emptied] [type=submit]").first.click()
                    if not page.locator(".error-summary").count():
                        failed.problems.append(f"an empty submission showed no error summary (now at {page.url})")
                    _check_page(page, failed)
                    results.append(failed)
    finally:
        browsing.close()
    return Walk(routes=routes, missing=missing, results=results,
                downloads=[d for d in downloads if d], foreign=browsing.foreign, bytes_by_route=dict(weights),
                seconds=dict(SECONDS))


def test_every_route_opens_and_passes_axe(walk, report):
    report(f"every route: {walk.routes} GET routes, {len(walk.results)} pages checked with axe; seconds: "
           + ", ".join(f"{step} {seconds:.0f}" for step, seconds in walk.seconds.items()))
    failures = list(walk.missing)
    for result in walk.results:
        if result.problems or result.violations:
            failures.append(f"{result.label} {result.url}:\n    " + "\n    ".join(result.problems + result.violations))
    assert not failures, f"{len(failures)} pages fail:\n" + "\n".join(failures)


def test_downloads_answer_their_files_and_redirects_redirect(walk):
    assert not walk.downloads, "\n".join(walk.downloads)


def test_every_page_fits_a_phone_and_text_at_200_percent(walk):
    failures = [f"{result.label} {result.url}:\n    " + "\n    ".join(result.phone)
                for result in walk.results if result.phone]
    assert not failures, f"{len(failures)} pages do not fit:\n" + "\n".join(failures)


def test_every_page_weighs_at_most_60_kb_and_calls_no_other_host(walk, report):
    report("bytes of HTML + CSS + JS per route (heaviest instance):\n" + "\n".join(
        f"  {weight:>7} B  {rule}" for rule, weight in sorted(walk.bytes_by_route.items(), key=lambda item: -item[1])))
    heavy = {rule: weight for rule, weight in walk.bytes_by_route.items() if weight > PAGE_BUDGET}
    assert not heavy, f"over {PAGE_BUDGET} B: {heavy}"
    assert not walk.foreign, f"requests to other hosts: {sorted(set(walk.foreign))}"
