"""Statistics in a real browser: a visitor opens a jurisdiction's comparison page,
reads a chart's numbers, follows a figure to the records it counts, then opens the cycle's open
data and downloads the ZIP, whose README describes the files."""
import io
import zipfile

import pytest

pytestmark = pytest.mark.browser


def _scene(live_server):
    """A municipality whose open intake has received three proposals."""
    from consulta.extensions import db
    from tests.factories import make_intake_cycle, make_proposal

    with live_server.app_context():
        cycle = make_intake_cycle()
        references = {make_proposal(cycle).reference for _ in range(3)}
        db.session.commit()
        return {"slug": cycle.jurisdiction.slug, "code": cycle.code, "references": references}


def test_a_visitor_follows_a_figure_to_its_records(page, live_server, axe_check):
    scene = _scene(live_server)
    page.goto(f"/estadisticas/{scene['slug']}")
    assert page.locator("h1").count() == 1
    figure = page.locator(f'a[data-figure="proposals"][data-cycle="{scene["code"]}"]')
    assert figure.inner_text() == "3"
    assert page.locator("svg[role=img] desc").count() >= 1
    axe_check(page)

    figure.click()
    page.wait_for_load_state()
    listed = page.locator("main").inner_text()
    assert all(reference in listed for reference in scene["references"])

    page.go_back()
    page.locator(f'a[data-open-data="{scene["code"]}"]').click()
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1 and page.locator("tr[data-dataset]").count() == 6
    axe_check(page)
    with page.expect_download() as downloading:
        page.locator("a[data-archive]").click()
    download = downloading.value
    assert download.suggested_filename.endswith("-datos.zip")
    with open(download.path(), "rb") as file:
        archive = zipfile.ZipFile(io.BytesIO(file.read()))
    readme = archive.read("README.md").decode("utf-8")
    assert "`propuestas.csv`" in readme and "| `reference` |" in readme
    proposals_csv = archive.read("propuestas.csv").decode("utf-8-sig")
    assert all(reference in proposals_csv for reference in scene["references"])
