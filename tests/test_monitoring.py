"""Implementation monitoring: statuses computed as of any date at local-time boundaries, the OGP
completion level, progress reports by the responsible entity's reporters (evidence, corrections that
keep earlier versions), the public tracker with its "estado al" choice, filters and late list,
followers' emails and digests, reminders sent once, comments on reports, and the exports."""
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from consulta.core.audit import transition
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.outbox import OutboxEmail
from consulta.core.windows import local_to_utc
from consulta.cycles.models import PhaseKind, PhaseState
from consulta.consultation.models import Alignment
from consulta.consultation.services import post_comment
from consulta.monitoring import services
from consulta.monitoring.models import ActivityReminder, Completion, FollowMode, Status, Trigger
from tests.factories import (
    local_today, make_activity, make_commitment, make_entity, make_intake_cycle, make_jurisdiction, make_moderator,
    make_phase, make_published_plan, make_report, make_reporter, make_user,
)
from tests.support.concurrency import committed_or_refused, run_together

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TZ = "America/Santiago"
PDF = b"%PDF-1.7\n" + b"0" * 256
LINK = "https://www.consejotransparencia.cl/informe-modelo.pdf"
# Commitment N° 4's four activities (seed): "plazo cumplido y en proceso".
SEED_ACTIVITIES = [(date(2018, 12, 1), date(2019, 4, 30)), (date(2019, 5, 1), date(2019, 10, 30)),
                   (date(2019, 5, 1), date(2020, 3, 31)), (date(2019, 5, 1), date(2020, 7, 31))]


def local(day: date, at: time = time.min) -> datetime:
    return local_to_utc(datetime.combine(day, at), TZ)


def send(client, path, data, **kwargs):
    """Post a form the way a browser does: with the token of the page that shows it."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def mails_to(db, person) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == person.email)
                                   .order_by(OutboxEmail.id)))


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


@pytest.fixture
def commitment(db):
    return make_published_plan(activities=SEED_ACTIVITIES)


@pytest.fixture
def reporter(commitment):
    return make_reporter(commitment.entity)


def urls(commitment) -> dict:
    base = f"/j/{commitment.cycle.jurisdiction.slug}/{commitment.cycle.slug}/seguimiento"
    return {"tracker": base, "late": f"{base}/atrasadas", "commitment": f"{base}/compromisos/{commitment.number}",
            "activity": lambda activity: f"{base}/actividades/{activity.id}",
            "report_form": lambda activity: f"{base}/actividades/{activity.id}/informar",
            "report": lambda report: f"{base}/informes/{report.id}", "export": lambda fmt: f"{base}/avance.{fmt}"}


# --- statuses at their boundaries -------------------------------------------------------------------

def test_status_changes_at_the_local_start_and_the_next_local_midnight_after_the_end(commitment):
    first = commitment.activities[0]  # 1 Dec 2018 – 30 Apr 2019, Chile in summer time, then in winter time
    second = timedelta(seconds=1)
    assert services.status_at(first, local(date(2018, 12, 1)) - second).status is Status.PENDING
    assert services.status_at(first, local(date(2018, 12, 1))).status is Status.IN_PROGRESS
    assert local(date(2018, 12, 1)) == datetime(2018, 12, 1, 3, tzinfo=UTC)
    assert services.status_at(first, local(date(2019, 5, 1)) - second).status is Status.IN_PROGRESS
    assert services.status_at(first, local(date(2019, 5, 1))).status is Status.LATE
    assert local(date(2019, 5, 1)) == datetime(2019, 5, 1, 4, tzinfo=UTC)


def test_an_end_date_before_the_daylight_saving_jump_closes_at_the_first_instant_after_it(db):
    # Chile skipped from Saturday 7 September 2019 24:00 to 01:00: midnight never happened.
    activity = make_published_plan(activities=[(date(2019, 5, 1), date(2019, 9, 7))]).activities[0]
    jump = datetime(2019, 9, 8, 4, tzinfo=UTC)
    assert services.status_at(activity, jump - timedelta(seconds=1)).status is Status.IN_PROGRESS
    assert services.status_at(activity, jump).status is Status.LATE


def test_a_day_counts_reports_dated_up_to_it_and_says_whether_done_was_on_time(commitment, reporter, client):
    first, second = commitment.activities[:2]
    # Done on its end date: on time (the end date is inclusive).
    make_report(first, reporter=reporter, reported_on=date(2019, 4, 30), done=True, links=[LINK])
    make_report(second, reporter=reporter, reported_on=date(2019, 9, 2), percent=60)
    make_report(second, reporter=reporter, reported_on=date(2019, 11, 15), done=True, links=[LINK])

    assert services.status_as_of(first, date(2019, 4, 29)).status is Status.IN_PROGRESS
    done = services.status_as_of(first, date(2019, 4, 30))
    assert (done.status, done.on_time, done.percent) == (Status.DONE, True, 100)
    late = services.status_as_of(second, date(2019, 11, 14))
    assert (late.status, late.percent, late.last_reported_on) == (Status.LATE, 60, date(2019, 9, 2))
    done_late = services.status_as_of(second, date(2019, 11, 15))
    assert (done_late.status, done_late.on_time) == (Status.DONE, False)
    assert services.status_as_of(second, date(2019, 4, 30)).status is Status.PENDING
    # The pages say which: completed on time, or completed late.
    page = client.get(urls(commitment)["commitment"], query_string={"al": "2019-11-15"}).get_data(as_text=True)
    assert page.count('class="on-time"') == 1 and page.count('class="done-late"') == 1


def test_completion_follows_the_rule_written_on_the_page(commitment, reporter, english):
    first, second, third, fourth = commitment.activities
    assert services.completion(commitment, date(2019, 6, 1)).level is Completion.NOT_STARTED
    make_report(first, reporter=reporter, reported_on=date(2019, 4, 1), percent=40)
    assert services.completion(commitment, date(2019, 6, 1)).level is Completion.LIMITED  # 10 % on average
    make_report(first, reporter=reporter, reported_on=date(2019, 4, 29), done=True, links=[LINK])
    make_report(second, reporter=reporter, reported_on=date(2019, 10, 1), done=True, links=[LINK])
    progress = services.completion(commitment, date(2019, 12, 1))
    assert (progress.level, progress.percent) == (Completion.SUBSTANTIAL, 50)
    for activity in (third, fourth):
        make_report(activity, reporter=reporter, reported_on=date(2020, 3, 1), done=True, links=[LINK])
    assert services.completion(commitment, date(2020, 3, 1)).level is Completion.COMPLETE
    page = english.get(urls(commitment)["commitment"]).get_data(as_text=True)
    assert "Substantial: the average progress is 50% or more" in page and "Complete" in page


def test_the_seeds_first_of_december_2019_shows_two_completed_and_two_in_progress(commitment, reporter, client):
    first, second, third, fourth = commitment.activities
    make_report(first, reporter=reporter, reported_on=date(2019, 4, 26), done=True, links=[LINK])
    make_report(second, reporter=reporter, reported_on=date(2019, 10, 28), done=True, files=[upload(PDF, "a.pdf")])
    make_report(third, reporter=reporter, reported_on=date(2019, 11, 20), percent=45)
    make_report(third, reporter=reporter, reported_on=date(2020, 3, 30), done=True, links=[LINK])
    statuses = [item.status for item in services.completion(commitment, date(2019, 12, 1)).activities]
    assert statuses == [Status.DONE, Status.DONE, Status.IN_PROGRESS, Status.IN_PROGRESS]
    # "estado al" recomputes from the reports dated up to that day; today's view counts the later one.
    past = client.get(urls(commitment)["commitment"], query_string={"al": "2019-12-01"}).get_data(as_text=True)
    assert past.count("badge-done") == 2 and past.count("badge-in_progress") == 2
    assert 'value="2019-12-01"' in past
    now = client.get(urls(commitment)["commitment"]).get_data(as_text=True)
    assert now.count("badge-done") == 3 and now.count("badge-late") == 1


# --- the tracker, the late list and the six-month warning ---------------------------------------------

def test_the_tracker_shows_bars_by_area_filters_by_status_and_entity_and_keeps_the_day(db, client, english):
    commitment = make_published_plan(activities=SEED_ACTIVITIES[:2])
    cycle = commitment.cycle
    other_entity = make_entity(cycle.jurisdiction, name="Subsecretaría de Desarrollo Regional")
    moderator = make_moderator(cycle.jurisdiction)
    services.update_activity(commitment.activities[1], name=commitment.activities[1].name,
                             starts_on=date(2019, 5, 1), ends_on=date(2019, 10, 30), description="",
                             deliverable="Convenios firmados", milestone="Actas de adhesión publicadas",
                             entity=other_entity, actor=moderator)
    make_report(commitment.activities[0], reported_on=date(2019, 4, 1), done=True, links=[LINK])
    tracker = urls(commitment)["tracker"]

    page = english.get(tracker, query_string={"al": "2019-12-01"}).get_data(as_text=True)
    assert page.count("<h1") == 1 and "<svg" in page and "<script" not in page
    assert commitment.area.name in page and "segment-cumplido" in page and "segment-atrasado" in page
    assert f'{tracker}/atrasadas?al=2019-12-01' in page and f"{tracker}/avance.csv?al=2019-12-01" in page
    late_only = english.get(tracker, query_string={"al": "2019-12-01", "estado": "atrasado"}).get_data(as_text=True)
    assert commitment.activities[1].name in late_only and commitment.activities[0].name not in late_only
    by_entity = english.get(tracker, query_string={"entidad": other_entity.id}).get_data(as_text=True)
    assert commitment.activities[1].name in by_entity and commitment.activities[0].name not in by_entity
    forged = english.get(tracker, query_string={"estado": "olvidado", "al": "2019-13-45"})
    assert forged.status_code == 200
    text = forged.get_data(as_text=True)
    assert "Enter a date, such as 2019-12-01." in text and 'value="2019-13-45"' in text


def test_the_late_list_has_the_late_activities_of_that_day_only(commitment, reporter, english):
    make_report(commitment.activities[0], reporter=reporter, reported_on=date(2019, 4, 29), done=True, links=[LINK])
    page = english.get(urls(commitment)["late"], query_string={"al": "2019-11-05"}).get_data(as_text=True)
    names = [activity.name for activity in commitment.activities]
    assert names[1] in page and names[0] not in page and names[2] not in page
    assert "6 days late" in page
    assert [item.activity for item in services.late(commitment.cycle, date(2020, 8, 1))] == commitment.activities[1:]


def test_a_commitment_without_a_report_in_six_months_is_flagged(commitment, reporter, english):
    make_report(commitment.activities[0], reporter=reporter, reported_on=date(2019, 1, 10), percent=20)
    assert not services.completion(commitment, date(2019, 7, 10)).stale
    assert services.completion(commitment, date(2019, 7, 11)).stale
    page = english.get(urls(commitment)["tracker"], query_string={"al": "2019-07-11"}).get_data(as_text=True)
    assert "No progress report in the last six months" in page
    assert "10 January 2019" in page or "January 10, 2019" in page


def test_an_unpublished_plan_has_no_tracker_and_takes_no_report(db, english, login_as, english_messages):
    cycle = make_intake_cycle()
    commitment = make_commitment(cycle)
    activity = make_activity(commitment)
    reporter = make_reporter(commitment.entity)
    with pytest.raises(DomainError, match="not part of a published plan"):
        make_report(activity, reporter=reporter)
    base = f"/j/{cycle.jurisdiction.slug}/{cycle.slug}/seguimiento"
    assert "not published yet" in english.get(base).get_data(as_text=True)
    assert english.get(f"{base}/compromisos/{commitment.number}").status_code == 404
    assert english.get(f"{base}/avance.csv").status_code == 404
    login_as(reporter)
    response = send(english, f"{base}/actividades/{activity.id}/informar",
                    {"reported_on": "2019-01-15", "narrative": "Texto que no se pierde.", "percent": "10"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "not part of a published plan" in text
    assert "Texto que no se pierde." in text


# --- who reports -----------------------------------------------------------------------------------

def test_a_reporter_of_another_entity_or_jurisdiction_is_refused(commitment, client, login_as):
    activity = commitment.activities[0]
    other_entity = make_reporter(make_entity(commitment.cycle.jurisdiction))
    elsewhere = make_reporter(make_entity(make_jurisdiction()))
    for person in (other_entity, elsewhere, make_moderator(commitment.cycle.jurisdiction)):
        with pytest.raises(PermissionDenied):
            services.submit_report(activity, reporter=person, reported_on=date(2019, 1, 2), narrative="x", percent=5)
        login_as(person)
        assert client.get(urls(commitment)["report_form"](activity)).status_code == 403
        assert client.post(urls(commitment)["report_form"](activity), data={"narrative": "x"}).status_code == 403


def test_a_visitor_is_sent_to_sign_in(commitment, app):
    visitor = app.test_client()
    response = visitor.get(urls(commitment)["report_form"](commitment.activities[0]))
    assert response.status_code == 302 and "/cuenta/ingresar" in response.headers["Location"]


def test_the_activitys_own_entity_reports_instead_of_the_commitments(commitment, reporter):
    activity = commitment.activities[1]
    agency = make_entity(commitment.cycle.jurisdiction, name="Subdere")
    services.update_activity(activity, name=activity.name, starts_on=activity.starts_on, ends_on=activity.ends_on,
                             description="", deliverable="", milestone="", entity=agency,
                             actor=make_moderator(commitment.cycle.jurisdiction))
    with pytest.raises(PermissionDenied):
        make_report(activity, reporter=reporter, reported_on=date(2019, 6, 1))
    report = make_report(activity, reported_on=date(2019, 6, 1))
    assert report.entity == agency and activity.responsible_entity == agency


# --- reports through the page ------------------------------------------------------------------------

def test_a_reporter_submits_a_report_with_a_pdf_and_a_link_and_it_is_public(commitment, reporter, client, login_as,
                                                                             app):
    activity = commitment.activities[0]
    login_as(reporter)
    response = send(client, urls(commitment)["report_form"](activity), {
        "reported_on": "2019-04-29", "narrative": "Modelo sistematizado.\n\n<script>alert(1)</script>Listo.",
        "done": "y", "links": f"{LINK}\n", "files": (io.BytesIO(PDF), "informe final.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    report = services.reports_of(activity)[0]
    assert report.current.done and report.current.reported_on == date(2019, 4, 29)
    assert "<script" not in report.current.narrative_html and "Modelo sistematizado." in report.current.narrative_html
    visitor = app.test_client()
    page = visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Modelo sistematizado." in page and LINK in page and "informe final.pdf" in page and "<script>alert" not in page
    file_url = re.search(r'href="([^"]+/archivos/\d+)"', page).group(1)
    served = visitor.get(file_url)
    assert served.data == PDF and served.mimetype == "application/pdf"
    assert services.status_as_of(activity, date(2019, 4, 30)).on_time


@pytest.mark.parametrize("change, field, message", [
    ({"percent": "101"}, "percent", "from 0 to 100"),
    ({"percent": "-1"}, "percent", "from 0 to 100"),
    ({"percent": ""}, "percent", "Give the percentage done, or mark the activity as done."),
    ({"reported_on": "2018-11-30"}, "reported_on", "before the activity starts"),
    ({"reported_on": "2999-01-01"}, "reported_on", "in the future"),
    ({"links": "javascript:alert(1)"}, "links", "is not a web address starting with http:// or https://"),
    ({"percent": "", "done": "y"}, "links", "needs evidence"),
])
def test_bad_input_is_refused_next_to_its_field_and_the_text_is_kept(commitment, reporter, english, login_as, change,
                                                                      field, message):
    login_as(reporter)
    data = {"reported_on": "2019-02-01", "narrative": "Avance escrito con cuidado.", "percent": "30", **change}
    response = send(english, urls(commitment)["report_form"](commitment.activities[0]), data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in text and message in text
    assert "Avance escrito con cuidado." in text
    assert services.reports_of(commitment.activities[0]) == []


@pytest.mark.parametrize("name, data, message", [
    ("notas.txt", b"just text", "is not an accepted type of file"),
    ("macro.exe", b"MZ\x90\x00", "is not an accepted type of file"),
    ("grande.pdf", PDF, "is larger than"),
])
def test_evidence_of_a_forbidden_type_or_over_the_limit_is_refused(commitment, reporter, english, login_as,
                                                                   monkeypatch, name, data, message):
    monkeypatch.setattr(services, "EVIDENCE_MAX_BYTES", len(PDF) - 1)
    login_as(reporter)
    response = send(english, urls(commitment)["report_form"](commitment.activities[0]), {
        "reported_on": "2019-02-01", "narrative": "Adjunto el respaldo.", "percent": "30",
        "files": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert 'id="files-error"' in text and message in text and "Adjunto el respaldo." in text


def test_evidence_over_the_limit_is_refused_and_office_documents_and_images_are_taken(
        commitment, reporter, monkeypatch, english_messages):
    from docx import Document

    activity = commitment.activities[0]
    monkeypatch.setattr(services, "EVIDENCE_MAX_BYTES", 100)
    with pytest.raises(DomainError, match="larger than") as refused:
        make_report(activity, reporter=reporter, files=[upload(PDF, "grande.pdf")])
    assert refused.value.field == "files"
    monkeypatch.setattr(services, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
    document = io.BytesIO()
    Document().save(document)
    report = make_report(activity, reporter=reporter, done=True, reported_on=date(2019, 4, 2),
                         files=[upload(document.getvalue(), "acta.docx"),
                                upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "foto del acto.png")])
    assert [item.file_type for item in report.current.files] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "image/png"]


def test_the_activity_page_lists_its_reports_up_to_the_chosen_day(commitment, reporter, english):
    activity = commitment.activities[1]
    first = make_report(activity, reporter=reporter, reported_on=date(2019, 6, 3), percent=20)
    last = make_report(activity, reporter=reporter, reported_on=date(2019, 10, 28), done=True, links=[LINK])
    path = urls(commitment)["activity"](activity)
    today = english.get(path).get_data(as_text=True)
    assert urls(commitment)["report"](first) in today and urls(commitment)["report"](last) in today
    assert "badge-done" in today
    past = english.get(path, query_string={"al": "2019-07-01"}).get_data(as_text=True)
    assert urls(commitment)["report"](first) in past and urls(commitment)["report"](last) not in past
    assert "1 later report is not counted for this date." in past and "badge-in_progress" in past


def test_a_correction_keeps_the_earlier_version_readable_and_the_status_reads_the_latest(
        commitment, reporter, client, login_as, app):
    activity = commitment.activities[0]
    report = make_report(activity, reporter=reporter, reported_on=date(2019, 3, 1), percent=80,
                         narrative="Ochenta por ciento, según el primer informe.")
    login_as(reporter)
    path = urls(commitment)["report"](report) + "/corregir"
    page = client.get(path).get_data(as_text=True)
    assert "Ochenta por ciento" in page  # the form starts from what the report says
    response = send(client, path, {"reason": "Faltaba el acta de cierre.", "reported_on": "2019-03-01",
                                   "narrative": "Terminada, con acta de cierre.", "done": "y", "links": LINK})
    assert response.status_code == 302
    db_report = services.find_report(commitment.cycle, report.id)
    assert [version.number for version in db_report.versions] == [1, 2]
    assert db_report.versions[0].narrative == "Ochenta por ciento, según el primer informe."
    assert services.status_as_of(activity, date(2019, 3, 1)).status is Status.DONE
    public = app.test_client().get(urls(commitment)["report"](report)).get_data(as_text=True)
    assert "Ochenta por ciento, según el primer informe." in public and "Terminada, con acta de cierre." in public
    assert "Faltaba el acta de cierre." in public


def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused(commitment, reporter, english_messages):
    report = make_report(commitment.activities[0], reporter=reporter)
    same = {"reported_on": report.current.reported_on, "narrative": report.current.narrative, "percent": 50}
    with pytest.raises(DomainError, match="Nothing changed"):
        services.correct_report(report, reporter=reporter, reason="Nada", **same)
    with pytest.raises(DomainError) as refused:
        services.correct_report(report, reporter=reporter, reason=" ", **same | {"percent": 60})
    assert refused.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.correct_report(report, reporter=make_user(), reason="x", **same | {"percent": 60})


def test_versions_cannot_be_changed_in_place(commitment, reporter, db):
    report = make_report(commitment.activities[0], reporter=reporter)
    report.current.narrative = "reescrito"
    with pytest.raises(RuntimeError, match="cannot change"):
        db.session.flush()
    db.session.rollback()


# --- following a commitment ------------------------------------------------------------------------

def test_a_follower_gets_one_email_per_report_and_a_weekly_follower_one_digest(commitment, reporter, db, clock):
    clock.at(2026, 3, 2, 15)
    each, weekly = make_user(), make_user()
    services.follow(each, commitment, mode=FollowMode.EACH_REPORT)
    services.follow(weekly, commitment, mode="WEEKLY")
    clock.at(2026, 3, 3, 15)
    first = make_report(commitment.activities[0], reporter=reporter, reported_on=date(2019, 2, 1))
    make_report(commitment.activities[1], reporter=reporter, reported_on=date(2019, 6, 1))
    mails = mails_to(db, each)
    assert len(mails) == 2 and f"/seguimiento/informes/{first.id}" in mails[0].body_text
    assert f"N° {commitment.number}" in mails[0].subject
    assert mails_to(db, weekly) == [] and mails_to(db, reporter) == []

    clock.at(2026, 3, 9, 14)
    assert services.send_digests() == 0  # the week has not passed
    clock.at(2026, 3, 9, 16)
    assert services.send_digests() == 1
    assert services.send_digests() == 0
    digest = mails_to(db, weekly)
    assert len(digest) == 1
    assert commitment.activities[0].name in digest[0].body_text and commitment.activities[1].name in digest[0].body_text
    clock.at(2026, 3, 17, 16)
    assert services.send_digests() == 0  # nothing new: no email


def test_following_through_the_page_and_stopping(commitment, reporter, client, login_as, db):
    person = make_user()
    login_as(person)
    page = urls(commitment)["commitment"]
    token = TOKEN.search(client.get(page).get_data(as_text=True)).group(1)
    assert client.post(page + "/seguir", data={"mode": "WEEKLY", "csrf_token": token}).status_code == 302
    assert services.following(person, commitment).mode is FollowMode.WEEKLY
    token = TOKEN.search(client.get(page).get_data(as_text=True)).group(1)
    client.post(page + "/dejar-de-seguir", data={"csrf_token": token})
    assert services.following(person, commitment) is None
    make_report(commitment.activities[0], reporter=reporter)
    assert mails_to(db, person) == []


# --- reminders -----------------------------------------------------------------------------------------

def test_reminders_go_14_days_and_1_day_before_the_end_and_the_day_after_never_twice(commitment, reporter, db,
                                                                                      clock):
    first = commitment.activities[0]  # ends 30 April 2019
    clock.at(local(date(2019, 4, 15), time(9)))
    assert services.send_reminders() == 0
    clock.at(local(date(2019, 4, 16), time(9)))
    assert services.send_reminders() == 1
    assert services.send_reminders() == 0
    clock.at(local(date(2019, 4, 20), time(9)))
    assert services.send_reminders() == 0
    clock.at(local(date(2019, 4, 29), time(9)))
    assert services.send_reminders() == 1
    clock.at(local(date(2019, 4, 30), time(23, 59)))
    assert services.send_reminders() == 0
    clock.at(local(date(2019, 5, 1), time(0, 1)))
    assert services.send_reminders() == 1
    assert services.send_reminders() == 0
    kinds = [row.kind for row in db.session.scalars(select(ActivityReminder).where(
        ActivityReminder.activity_id == first.id).order_by(ActivityReminder.id))]
    assert kinds == [Trigger.TWO_WEEKS_BEFORE, Trigger.DAY_BEFORE, Trigger.LATE]
    mails = mails_to(db, reporter)
    assert len(mails) == 3 and f"/actividades/{first.id}/informar" in mails[-1].body_text


def test_no_reminder_for_a_done_activity_or_without_reporters(db, clock):
    commitment = make_published_plan(activities=[(date(2019, 1, 1), date(2019, 4, 30))])
    clock.at(local(date(2019, 4, 16), time(9)))
    assert services.send_reminders() == 0  # nobody to remind: nothing recorded, a reporter granted later is told
    reporter = make_reporter(commitment.entity)
    make_report(commitment.activities[0], reporter=reporter, reported_on=date(2019, 4, 10), done=True, links=[LINK])
    assert services.send_reminders() == 0


# --- comments on reports -------------------------------------------------------------------------------

def test_the_public_comments_on_a_report_while_the_plan_is_in_implementation(commitment, reporter, english_messages):
    report = make_report(commitment.activities[0], reporter=reporter)
    citizen = make_user()
    with pytest.raises(DomainError, match="does not take comments"):
        post_comment(report, author=citizen, text="¿Dónde está el acta?", alignment=Alignment.NEUTRAL)
    today = local_today()
    phase = make_phase(commitment.cycle, PhaseKind.IMPLEMENTATION, first_day=today - timedelta(days=5),
                       last_day=today + timedelta(days=30))
    transition(phase, PhaseState.OPEN, actor=None)
    comment = post_comment(report, author=citizen, text="¿Dónde está el acta?", alignment=Alignment.NEUTRAL)
    reply = post_comment(None, reply_to=comment, author=reporter, text="Está en el enlace del informe.")
    assert comment.target_kind == "progress_report" and reply.parent_id == comment.id
    # The entity answers as itself: named on its reply, and like staff neither counted nor owed an answer.
    assert reply.staff and reply.speaks_for == commitment.entity.name
    assert not comment.staff and comment.speaks_for is None


def test_the_report_page_shows_its_comments(commitment, reporter, client):
    report = make_report(commitment.activities[0], reporter=reporter)
    today = local_today()
    phase = make_phase(commitment.cycle, PhaseKind.IMPLEMENTATION, first_day=today - timedelta(days=5),
                       last_day=today + timedelta(days=30))
    transition(phase, PhaseState.OPEN, actor=None)
    question = post_comment(report, author=make_user(), text="Gracias por el detalle.", alignment=Alignment.A_FAVOR)
    post_comment(None, reply_to=question, author=reporter, text="Gracias a ustedes.")
    page = client.get(urls(commitment)["report"](report)).get_data(as_text=True)
    assert "Gracias por el detalle." in page and page.count("<h1") == 1
    assert "Gracias a ustedes." in page and f"Entidad responsable: {commitment.entity.name}" in page


# --- moderators complete an activity ----------------------------------------------------------------

def test_an_activitys_details_and_dates_out_of_order_keep_the_typed_text(commitment, english, login_as):
    activity = commitment.activities[1]
    moderator = make_moderator(commitment.cycle.jurisdiction)
    login_as(moderator)
    path = urls(commitment)["activity"](activity) + "/editar"
    response = send(english, path, {"name": activity.name, "starts_on": "2019-10-30", "ends_on": "2019-05-01",
                                    "description": "Firmas de alcaldes en regiones.", "deliverable": "Convenios",
                                    "milestone": "Acta publicada", "entity": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "cannot end before it starts" in text
    assert "Firmas de alcaldes en regiones." in text and 'value="2019-10-30"' in text
    response = send(english, path, {"name": activity.name, "starts_on": "2019-05-01", "ends_on": "2019-10-30",
                                    "description": "Firmas de alcaldes en regiones.", "deliverable": "Convenios",
                                    "milestone": "Acta publicada", "entity": ""})
    assert response.status_code == 302
    assert (activity.deliverable, activity.milestone, activity.entity_id) == ("Convenios", "Acta publicada", None)
    page = english.get(urls(commitment)["activity"](activity)).get_data(as_text=True)
    assert "Acta publicada" in page and "Firmas de alcaldes en regiones." in page
    assert english.get(path).status_code == 200
    login_as(make_reporter(commitment.entity))
    assert english.get(path).status_code == 403


# --- exports -------------------------------------------------------------------------------------------

def test_the_exports_carry_the_statuses_of_the_chosen_day(commitment, reporter, client):
    make_report(commitment.activities[0], reporter=reporter, reported_on=date(2019, 4, 26), done=True, links=[LINK])
    export = urls(commitment)["export"]
    csv_text = client.get(export("csv"), query_string={"al": "2019-12-01"}).data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("as_of,commitment_number")
    assert csv_text.count(",cumplido,") == 1 and csv_text.count(",en-proceso,") == 2 and ",atrasado," in csv_text
    data = json.loads(client.get(export("json"), query_string={"al": "2019-12-01"}).data)
    activities = data["commitments"][0]["activities"]
    assert [item["status"] for item in activities] == ["cumplido", "atrasado", "en-proceso", "en-proceso"]
    assert activities[0]["reports"][0]["links"] == [LINK]
    xlsx = client.get(export("xlsx"))
    assert xlsx.data.startswith(b"PK") and "attachment" in xlsx.headers["Content-Disposition"]
    docx = client.get(export("docx"), query_string={"al": "2019-12-01"})
    from docx import Document

    document = Document(io.BytesIO(docx.data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert commitment.activities[0].name in cells
    assert client.get(export("pdf")).data.startswith(b"%PDF-")


def test_the_tracker_and_its_exports_run_the_same_statements_with_more_reports(commitment, reporter, client,
                                                                               count_queries):
    paths = urls(commitment)
    pages = (paths["tracker"], paths["late"], paths["commitment"], paths["export"]("json"), paths["export"]("csv"))

    def statements() -> list[int]:
        counts = []
        for path in pages:
            client.get(path)  # the session and the user are loaded once per request anyway
            with count_queries() as counted:
                assert client.get(path).status_code == 200
            counts.append(counted.n)
        return counts

    make_report(commitment.activities[0], reporter=reporter, reported_on=date(2019, 1, 2), links=[LINK])
    before = statements()
    for activity in commitment.activities:
        make_report(activity, reporter=reporter, reported_on=activity.starts_on + timedelta(days=3), done=True,
                    links=[LINK, LINK + "?anexo"])
    assert statements() == before


def test_every_tracker_page_has_one_heading_and_the_estado_al_form(commitment, reporter, client):
    report = make_report(commitment.activities[0], reporter=reporter)
    paths = urls(commitment)
    for path in (paths["tracker"], paths["late"], paths["commitment"], paths["activity"](commitment.activities[0])):
        page = client.get(path).get_data(as_text=True)
        assert page.count("<h1") == 1 and 'name="al"' in page and 'method="get"' in page, path
    assert client.get(paths["report"](report)).get_data(as_text=True).count("<h1") == 1
    cycle = commitment.cycle
    assert "/seguimiento" in client.get(f"/j/{cycle.jurisdiction.slug}/{cycle.slug}").get_data(as_text=True)


def test_the_commands_remind_and_send_digests_once(commitment, reporter, app, clock):
    clock.at(local(date(2019, 4, 16), time(9)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["monitoring", "remind"])
    assert result.exit_code == 0 and result.output.strip() == "reminders sent: 1"
    assert runner.invoke(args=["monitoring", "remind"]).output.strip() == "reminders sent: 0"
    assert runner.invoke(args=["monitoring", "digest"]).output.strip() == "digests queued: 0"


@pytest.mark.concurrency
def test_two_reminder_runs_at_once_send_one_reminder(app, committed_db, clock, monkeypatch):
    import threading

    commitment = make_published_plan(activities=[(date(2019, 1, 1), date(2019, 4, 30))])
    reporter = make_reporter(commitment.entity)
    committed_db.session.commit()
    activity_id, address = commitment.activities[0].id, reporter.email
    committed_db.session.commit()
    clock.at(local(date(2019, 4, 16), time(9)))
    both_read = threading.Barrier(2, timeout=3)
    reporters = services._reporters

    def read_then_wait(entity):
        people = reporters(entity)
        try:
            both_read.wait()  # both runs found the reminder due before either records it
        except threading.BrokenBarrierError:
            pass
        return people

    monkeypatch.setattr(services, "_reporters", read_then_wait)
    outcomes, errors = run_together(2, lambda _: committed_or_refused(app, committed_db, services.send_reminders))
    assert errors == [] and 1 in outcomes
    assert committed_db.session.scalar(select(func.count(ActivityReminder.id))
                                       .where(ActivityReminder.activity_id == activity_id)) == 1
    assert committed_db.session.scalar(select(func.count(OutboxEmail.id))
                                       .where(OutboxEmail.recipient == address)) == 1
