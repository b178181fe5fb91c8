"""Screenshots of the main pages on the demo, at 360 and 1280 px, in Spanish and English, for a
reviewer to look at: `make screenshots` (or `python -m tests.browser.screenshots [folder]`).

Starts its own server with the demo loaded (as the browser tests do), so it takes about a minute;
writes `<folder>/<width>-<language>-<page>.jpg`, whole pages (default folder: docs/screenshots).
"""
import shutil
import sys
from pathlib import Path

from consulta import ROOT
from tests.browser.conftest import CHROMIUM_ARGS, serve
from tests.browser.demo_routes import Records

WIDTHS = (360, 1280)
LANGUAGES = ("es", "en")


def main_pages(d: Records) -> dict:
    """name -> address: a visitor's way through a cycle, from the home page to its follow-up."""
    cycle = f"/j/{d.national.slug}/{d.pa4.slug}"
    return {
        "01-home": "/",
        "02-jurisdictions": "/j/",
        "03-cycle": cycle,
        "04-proposals": f"{cycle}/propuestas",
        "05-proposal": f"{cycle}/propuestas/{d.pa4_proposal.reference}",
        "06-tables": f"/mesas/{d.national.slug}/{d.pa4.slug}",
        "07-table": f"/mesas/{d.table.id}",
        "08-coverage": f"{cycle}/cobertura",
        "09-plan": f"{cycle}/plan",
        "10-consultation": f"{cycle}/consulta/compromisos/{d.commitment_4.number}",
        "11-mesa": f"/j/{d.national.slug}/mesa",
        "12-tracker": f"{cycle}/seguimiento",
        "13-commitment-progress": f"{cycle}/seguimiento/compromisos/{d.commitment_4.number}",
        "14-statistics": f"/estadisticas/{d.national.slug}",
        "15-municipalities": "/municipios/",
        "16-sign-in": "/cuenta/ingresar",
        "17-renca-new-proposal": f"/j/{d.renca.slug}/{d.ren1.slug}/propuestas/nueva",
    }


def take(folder: Path) -> int:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    taken = 0
    with serve("screenshots", demo=True) as server, sync_playwright() as playwright:
        with server.app_context():
            pages = main_pages(Records())
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            for language in LANGUAGES:
                for width in WIDTHS:
                    context = browser.new_context(base_url=server.url, locale="es-CL",
                                                  viewport={"width": width, "height": 900})
                    page = context.new_page()
                    page.goto(f"/lang/{language}")
                    for name, address in pages.items():
                        page.goto(address)
                        page.screenshot(path=folder / f"{width}-{language}-{name}.jpg", full_page=True, quality=70)
                        taken += 1
                    context.close()
        finally:
            browser.close()
    return taken


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    print(f"{take(target)} screenshots in {target}")
