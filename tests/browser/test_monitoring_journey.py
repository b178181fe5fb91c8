"""Implementation monitoring in a real browser: a reporter of the responsible entity finds an activity
of the published plan from the tracker, is refused a percentage over 100 (the text kept), then
submits a report with a PDF; a follower of the commitment finds the email in the outbox and reads the
report and its PDF as a visitor. The tracker's "estado al" form works without JavaScript; pages with
JavaScript pass axe."""
import secrets
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "monitoring journey password"
ACTIVITY = "Difusión del Modelo y promoción de la adhesión municipal a través de firmas de alcaldes."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _scene(live_server) -> dict:
    """A municipality whose plan (one commitment, two activities) the Mesa approved and published; a
    reporter of the responsible entity and a person following the commitment (an email per report)."""
    from consulta.accounts.services import create_user
    from consulta.commitments.services import add_activity, create_commitment, freeze_plan
    from consulta.core import clock
    from consulta.core.windows import to_local
    from consulta.cycles.services import create_cycle
    from consulta.extensions import db
    from consulta.jurisdictions.models import JurisdictionKind, Role
    from consulta.jurisdictions.regions import Region
    from consulta.jurisdictions.services import add_entity, create_jurisdiction, grant_role
    from consulta.mesa import services as mesa
    from consulta.monitoring.models import FollowMode
    from consulta.monitoring.services import follow
    from consulta.proposals.models import OgpValue
    from consulta.proposals.services import add_area

    token = secrets.token_hex(4)
    with live_server.app_context():
        place = create_jurisdiction(name="Renca", slug=f"renca-{token}", kind=JurisdictionKind.MUNICIPALITY,
                                    region=Region.RM, actor=None)

        def person(key, name):
            return create_user(email=f"{key}-{token}@example.org", password=PASSWORD, verified=True,
                               display_name=name)

        admin, moderator = person("admin", "Ana Administra"), person("moderator", "Marta Modera")
        reporter, follower = person("reporter", "Rocío Reporta"), person("follower", "Felipe Sigue")
        grant_role(admin, Role.ADMIN, place, actor=None)
        grant_role(moderator, Role.MODERATOR, place, actor=None)
        entity = add_entity(place, name="Consejo para la Transparencia", actor=None)
        grant_role(reporter, Role.REPORTER, place, entity=entity, actor=admin)
        today = to_local(clock.now(), place.timezone).date()
        cycle = create_cycle(place, name="Plan local de gobierno abierto", slug="plan-local",
                             code=f"R{token[:4].upper()}", starts_on=today - timedelta(days=400),
                             ends_on=today + timedelta(days=400), actor=None)
        area = add_area(cycle, name="Modernización del Estado", actor=None)
        commitment = create_commitment(
            cycle, number=4, name="Modelo de Gobierno Abierto Municipal", area=area, entity=entity,
            starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=300),
            problem="Los municipios no conocen el Modelo.", commitment_text="Promover la adhesión al Modelo.",
            contribution="", values=[OgpValue.PARTICIPACION], from_proposals=[], actor=moderator)
        add_activity(commitment, name="Sistematización del Modelo.", starts_on=today - timedelta(days=300),
                     ends_on=today - timedelta(days=100), actor=moderator)
        activity = add_activity(commitment, name=ACTIVITY, starts_on=today - timedelta(days=90),
                                ends_on=today + timedelta(days=60), actor=moderator)
        version = freeze_plan(cycle, actor=moderator)
        forum = mesa.create_forum(place, name="Mesa de Gobierno Abierto de Renca", act_number="Decreto N° 1",
                                  act_date=date(2019, 6, 3), actor=admin)
        members = []
        for sector, chairs in (("GOVERNMENT", True), ("CIVIL_SOCIETY", False)):
            member = person(sector.lower(), sector.title())
            mesa.add_seat(forum, sector=sector, chairs=chairs, holder=member, designated_on=date(2019, 6, 4),
                          designation="Designación del Concejo", actor=admin)
            members.append(member)
        meeting = mesa.record_meeting(forum, held_on=today, cycle=cycle, agenda="Aprobación del plan.",
                                      minutes="Se aprueba la versión 1.", present=mesa.current_seats(forum),
                                      actor=moderator)
        act = mesa.record_act(meeting, version=version, decision="APPROVED",
                              votes={seat: "FOR" for seat in meeting.present}, actor=moderator)
        for member in members:
            mesa.confirm_act(act, actor=member)
        mesa.publish(version, actor=moderator)
        follow(follower, commitment, mode=FollowMode.EACH_REPORT)
        db.session.commit()
        return {"tracker": f"/j/{place.slug}/{cycle.slug}/seguimiento", "activity_id": activity.id,
                "reporter": reporter.email, "follower": follower.email}


def _sign_in(page, email):
    page.goto("/lang/en?next=/cuenta/ingresar")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/cuenta/ingresar" not in page.url


def test_a_reporter_submits_a_report_with_a_pdf_and_a_follower_finds_the_email(
        browser, live_server, page, no_js_page, axe_check, outbox_messages):
    scene = _scene(live_server)

    # Anyone reads the tracker and asks for another day, without JavaScript.
    no_js_page.goto(scene["tracker"])
    assert no_js_page.locator("h1").count() == 1
    no_js_page.fill("#al", (date.today() - timedelta(days=120)).isoformat())
    no_js_page.locator("form.as-of button[type=submit]").click()
    no_js_page.wait_for_load_state()
    assert "al=" in no_js_page.url
    assert no_js_page.locator("main .badge-pending").count() == 1  # the second activity had not started

    reporter = page
    _sign_in(reporter, scene["reporter"])
    for path in ("/compromisos/4", "/atrasadas?al=2030-01-01", ""):
        reporter.goto(scene["tracker"] + path)
        assert reporter.locator("h1").count() == 1
        axe_check(reporter)
    reporter.get_by_role("link", name=ACTIVITY).click()
    reporter.wait_for_load_state()
    assert reporter.url.endswith(f"/seguimiento/actividades/{scene['activity_id']}")
    axe_check(reporter)
    reporter.get_by_role("link", name="Report progress").click()
    reporter.wait_for_load_state()
    axe_check(reporter)
    reporter.get_by_label("What was done").fill("Firmaron doce alcaldes; se adjunta el acta.")
    reporter.get_by_label("Percentage done").fill("140")
    reporter.get_by_role("button", name="Publish the report").click()
    reporter.wait_for_load_state()
    expect(reporter.locator("#percent-error")).to_be_visible()
    assert reporter.get_by_label("What was done").input_value() == "Firmaron doce alcaldes; se adjunta el acta."
    axe_check(reporter)
    reporter.get_by_label("Percentage done").fill("40")
    reporter.set_input_files("#files", files=[{"name": "acta-firmas.pdf", "mimeType": "application/pdf",
                                               "buffer": PDF}])
    reporter.get_by_role("button", name="Publish the report").click()
    reporter.wait_for_load_state()
    assert "/seguimiento/informes/" in reporter.url
    main = reporter.locator("main").inner_text()
    assert "the report is published" in main and "Firmaron doce alcaldes" in main and "acta-firmas.pdf" in main
    axe_check(reporter)
    report_url = reporter.url

    [mail] = outbox_messages(to=scene["follower"])
    assert "commitment N° 4" in mail.subject or "compromiso N° 4" in mail.subject
    assert "Firmaron doce alcaldes" in mail.body_text
    [link] = [link for link in mail.links if "/seguimiento/informes/" in link]
    assert link == report_url

    visitor = browser.new_context(base_url=live_server.url, locale="es-CL", java_script_enabled=False).new_page()
    visitor.goto(link)
    assert "Firmaron doce alcaldes" in visitor.locator("main").inner_text()
    with visitor.expect_download() as downloading:
        visitor.get_by_role("link", name="acta-firmas.pdf").click()
    with open(downloading.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    visitor.context.close()
