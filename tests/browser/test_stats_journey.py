"""Statistics in a real browser: a visitor opens a jurisdiction's comparison page,
reads a chart's numbers, and follows a figure to the records it counts."""
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
