"""One demo instance for every GET route, in one table: which record it shows and who opens it.

`ROUTES` maps an endpoint to (who, values): who is None for a public page (opened in Spanish and
in English) or the demo account allowed to see it; values(records) gives the URL's arguments from
the demo's records (a list of them when the endpoint has several rules). Where pages differ in
size, the instance is the heaviest one (the 4th plan, its consultation, its commitment N° 4 with the
progress reports); forms that need an open window use Renca's current cycle, open today.

`complete_the_demo` adds the few things the demo has no reason to hold (a draft, an attachment, a
suspension, a hidden comment under appeal, signed account links), through the services.
"""
import io
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.routing import Rule

# Who opens a page: None is a visitor; the others are the demo's accounts (consulta/demo/base.py).
PUBLIC = None
ADMIN, MODERATOR, MESA = "admin", "moderacion", "mesa_presidencia"
ADMIN_RENCA, MODERATOR_RENCA, REPORTER = "admin_renca", "moderacion_renca", "reporte_cplt"
CITIZEN, OSC = "ciudadana", "osc"
# Made by complete_the_demo, with this password: a suspended person.
SUSPENDED = "suspendida"
EXTRA_PASSWORD = "every route password"
EXTRA_DOMAIN = "every-route.example.org"

# Routes that answer a file, not a page: checked for their status and type.
DOWNLOADS = {
    "accounts.download_data": "application/zip",
    "consultation.export": None, "proposals.export": None, "monitoring.export": None, "tables.export": None,
    "mesa.export": None, "monitoring.evidence_file": "application/pdf", "proposals.attachment": "application/pdf",
    "tables.calendar": "text/calendar", "site.health": "application/json",
    "stats.dataset": None, "stats.archive": "application/zip", "stats.feed": "application/atom+xml",
    "mesa.forum_document": "application/pdf", "municipal.adhesion_document": "application/pdf",
}
# Routes that only send the browser elsewhere: checked for their redirect.
REDIRECTS = {"site.language"}
# Per-format types, where a rule offers several (`<any(csv, json, xlsx):fmt>`).
FORMAT_TYPES = {
    "csv": "text/csv", "json": "application/json", "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _cycle(cycle) -> dict:
    return {"slug": cycle.jurisdiction.slug, "cycle_slug": cycle.slug}


def _email(key: str) -> str:
    from consulta.demo.base import EMAIL_DOMAIN

    return f"{key.replace('_', '.')}@{EMAIL_DOMAIN}" if key != SUSPENDED else f"{key}@{EXTRA_DOMAIN}"


def email_of(who: str) -> str:
    return _email(who)


class Records:
    """The demo's records the table below points at, looked up once (inside an app context)."""

    def _one(self, query):
        from consulta.extensions import db

        found = db.session.scalars(query).first()
        assert found is not None, f"the demo has no {query}"
        return found

    def user(self, key):
        from consulta.accounts.models import User

        return self._one(select(User).where(User.email == _email(key)))

    def cycle(self, code):
        from consulta.cycles.models import Cycle

        return self._one(select(Cycle).where(Cycle.code == code))

    @cached_property
    def national(self):
        return self.pa4.jurisdiction

    @cached_property
    def renca(self):
        return self.ren1.jurisdiction

    @cached_property
    def pa4(self):
        return self.cycle("PA4")

    @cached_property
    def ren1(self):
        return self.cycle("REN1")

    @cached_property
    def commitment_4(self):
        """The 4th plan's commitment N° 4: its activities have the demo's progress reports."""
        from consulta.commitments.models import Commitment

        return self._one(select(Commitment).where(Commitment.cycle_id == self.pa4.id, Commitment.number == 4))

    @cached_property
    def renca_commitment(self):
        from consulta.commitments.models import Commitment

        return self._one(select(Commitment).where(Commitment.cycle_id == self.ren1.id).order_by(Commitment.number))

    @cached_property
    def activity(self):
        """Commitment N° 4's activity with the most reports."""
        from consulta.commitments.models import Activity
        from consulta.monitoring.models import ProgressReport

        return self._one(select(Activity).join(ProgressReport).where(Activity.commitment_id == self.commitment_4.id)
                         .group_by(Activity.id).order_by(func.count(ProgressReport.id).desc()))

    @cached_property
    def report(self):
        """A report with a file by the Consejo para la Transparencia, whose reporter may correct it."""
        from consulta.monitoring.models import Evidence, ProgressReport, ReportVersion

        return self._one(select(ProgressReport).join(ReportVersion).join(Evidence)
                         .where(ProgressReport.author_id == self.user(REPORTER).id, Evidence.file_key.is_not(None))
                         .order_by(ProgressReport.id))

    @cached_property
    def evidence(self):
        from consulta.monitoring.models import Evidence, ReportVersion

        return self._one(select(Evidence).join(ReportVersion).where(ReportVersion.report_id == self.report.id,
                                                                   Evidence.file_key.is_not(None)))

    @cached_property
    def pa4_proposal(self):
        """The 4th plan's proposal with the most versions (merged ones included in its page)."""
        from consulta.proposals.models import Proposal, ProposalVersion

        return self._one(select(Proposal).join(ProposalVersion).where(Proposal.cycle_id == self.pa4.id)
                         .group_by(Proposal.id).order_by(func.count(ProposalVersion.id).desc(), Proposal.id))

    @cached_property
    def renca_proposal(self):
        """An unanswered proposal in Renca's open intake, to answer or mark inadmissible."""
        from consulta.proposals.models import Proposal, ProposalState

        return self._one(select(Proposal).where(Proposal.cycle_id == self.ren1.id,
                                                Proposal.state == ProposalState.SUBMITTED).order_by(Proposal.id))

    @cached_property
    def citizen_proposal(self):
        """Camila's own proposal in Renca, with an attachment (complete_the_demo)."""
        from consulta.proposals.models import Attachment, Proposal

        return self._one(select(Proposal).join(Attachment).where(Proposal.cycle_id == self.ren1.id,
                                                                 Proposal.author_id == self.user(CITIZEN).id))

    @cached_property
    def draft(self):
        from consulta.proposals.models import Draft

        return self._one(select(Draft).where(Draft.owner_id == self.user(CITIZEN).id, Draft.proposal_id.is_(None)))

    def comment_by(self, who, cycle, **criteria):
        from consulta.consultation.models import Comment

        return self._one(select(Comment).where(Comment.author_id == self.user(who).id, Comment.cycle_id == cycle.id)
                         .filter_by(**criteria).order_by(Comment.id))

    @cached_property
    def pa4_comment(self):
        """The 4th plan's comment with the most replies."""
        from sqlalchemy.orm import aliased

        from consulta.consultation.models import Comment

        reply = aliased(Comment)
        return self._one(select(Comment).join(reply, reply.parent_id == Comment.id)
                         .where(Comment.cycle_id == self.pa4.id).group_by(Comment.id)
                         .order_by(func.count(reply.id).desc(), Comment.id))

    @cached_property
    def renca_comment(self):
        from consulta.consultation.models import Comment, CommentState

        return self._one(select(Comment).where(Comment.cycle_id == self.ren1.id, Comment.parent_id.is_(None),
                                               Comment.state == CommentState.PUBLISHED).order_by(Comment.id))

    @cached_property
    def table(self):
        """The 4th plan's working table with the most registrations."""
        from consulta.tables.models import Registration, WorkingTable

        return self._one(select(WorkingTable).join(Registration).where(WorkingTable.cycle_id == self.pa4.id)
                         .group_by(WorkingTable.id).order_by(func.count(Registration.id).desc()))

    @cached_property
    def open_table(self):
        from consulta.tables.models import WorkingTable

        return self._one(select(WorkingTable).where(WorkingTable.cycle_id == self.ren1.id).order_by(WorkingTable.id))

    @cached_property
    def meeting(self):
        from consulta.mesa.models import MesaMeeting

        return self._one(select(MesaMeeting).order_by(MesaMeeting.id.desc()))

    @cached_property
    def act(self):
        from consulta.mesa.models import MesaAct

        return self._one(select(MesaAct).order_by(MesaAct.id))

    @cached_property
    def seat(self):
        from consulta.mesa.models import MesaSeat

        return self._one(select(MesaSeat).order_by(MesaSeat.id))

    @cached_property
    def observation(self):
        from consulta.mesa.models import MesaObservation

        return self._one(select(MesaObservation).order_by(MesaObservation.id))

    @cached_property
    def publication(self):
        from consulta.commitments.models import PlanVersion
        from consulta.mesa.models import PlanPublication

        return self._one(select(PlanVersion).join(PlanPublication, PlanPublication.version_id == PlanVersion.id))

    @cached_property
    def diagnostic(self):
        """A submitted diagnostic of the municipality with the most answers."""
        from consulta.municipal.models import Answer, Diagnostic, DiagnosticState

        return self._one(select(Diagnostic).join(Answer).where(Diagnostic.state == DiagnosticState.SUBMITTED)
                         .group_by(Diagnostic.id).order_by(func.count(Answer.id).desc(), Diagnostic.id))

    @cached_property
    def draft_diagnostic(self):
        from consulta.municipal.models import Diagnostic, DiagnosticState

        return self._one(select(Diagnostic).where(Diagnostic.state == DiagnosticState.DRAFT))

    @cached_property
    def adhered_with_act(self):
        from consulta.jurisdictions.models import Jurisdiction
        from consulta.municipal.models import Adhesion

        return self._one(select(Jurisdiction).join(Adhesion).where(Adhesion.document_key.is_not(None)))

    @cached_property
    def local_response(self):
        """The short version of Renca's diagnostic as answered by an organisation Diego represents."""
        from consulta.municipal.models import LocalResponse
        from consulta.organisations.models import Representation

        return self._one(select(LocalResponse).join(Representation, Representation.organisation_id
                                                    == LocalResponse.organisation_id)
                         .where(Representation.user_id == self.user(OSC).id).order_by(LocalResponse.id))

    @cached_property
    def support_activity(self):
        """The support activity with the most attendees."""
        from consulta.municipal.models import Attendee, SupportActivity

        return self._one(select(SupportActivity).join(Attendee).group_by(SupportActivity.id)
                         .order_by(func.count(Attendee.id).desc(), SupportActivity.id))

    @cached_property
    def question(self):
        from consulta.municipal.models import Question

        return self._one(select(Question).order_by(Question.id))

    @cached_property
    def organisation(self):
        from consulta.organisations.models import Organisation

        return self._one(select(Organisation).order_by(Organisation.id))

    @cached_property
    def representation(self):
        from consulta.organisations.models import Representation

        return self._one(select(Representation).order_by(Representation.id))

    @cached_property
    def answer_template(self):
        from consulta.triage.models import AnswerTemplate

        return self._one(select(AnswerTemplate).where(AnswerTemplate.jurisdiction_id == self.national.id))

    @cached_property
    def suspension(self):
        from consulta.accounts.models import Suspension

        return self._one(select(Suspension).where(Suspension.user_id == self.user(SUSPENDED).id))

    def token(self, purpose):
        """A fresh signed link for the suspended person (verify, reset) or Camila (email change)."""
        from consulta.accounts import tokens

        if purpose == tokens.EMAIL:
            person = self.user(CITIZEN)
            return tokens.make(purpose, person, email=person.pending_email)
        person = self.user(SUSPENDED)
        claims = {"email": person.email} if purpose == tokens.VERIFY else {"sv": person.session_version}
        return tokens.make(purpose, person, **claims)


def _hidden(d, criteria):
    from consulta.consultation.models import CommentState

    return d.comment_by(OSC, d.ren1, state=CommentState.HIDDEN, **criteria)


def _appealed(d):
    from consulta.consultation.models import Comment, CommentAppeal, CommentState
    from consulta.extensions import db

    return db.session.scalars(select(Comment).join(CommentAppeal).where(
        Comment.cycle_id == d.ren1.id, Comment.state == CommentState.HIDDEN)).first()


def _kind_slug():
    from consulta.cycles.models import PhaseKind

    return PhaseKind.CONSULTATION.slug


ROUTES = {
    # the site
    "site.home": (PUBLIC, lambda d: {}),
    "site.health": (PUBLIC, lambda d: {}),
    "site.language": (PUBLIC, lambda d: {"code": "en"}),
    # accounts
    "accounts.register": (PUBLIC, lambda d: {}),
    "accounts.login": (PUBLIC, lambda d: {}),
    "accounts.forgot_password": (PUBLIC, lambda d: {}),
    "accounts.resend_verification": (PUBLIC, lambda d: {}),
    "accounts.email_sent": (PUBLIC, lambda d: {"kind": "registro"}),
    "accounts.verify": (PUBLIC, lambda d: {"token": d.token("verify")}),
    "accounts.reset_password": (PUBLIC, lambda d: {"token": d.token("reset")}),
    "accounts.confirm_email": (CITIZEN, lambda d: {"token": d.token("email")}),
    "accounts.profile": (CITIZEN, lambda d: {}),
    "accounts.edit_profile": (CITIZEN, lambda d: {}),
    "accounts.change_email": (CITIZEN, lambda d: {}),
    "accounts.close_account": (CITIZEN, lambda d: {}),
    "accounts.download_data": (CITIZEN, lambda d: {}),
    "accounts.my_suspension": (SUSPENDED, lambda d: {}),
    "accounts.staff": (ADMIN, lambda d: {}),
    "accounts.suspensions": (ADMIN_RENCA, lambda d: {}),
    "accounts.suspension_detail": (ADMIN_RENCA, lambda d: {"suspension_id": d.suspension.id}),
    "accounts.suspend": (MODERATOR_RENCA, lambda d: {"user_id": d.user(OSC).id}),
    # jurisdictions and organisations
    "jurisdictions.index": (PUBLIC, lambda d: {}),
    "jurisdictions.detail": (PUBLIC, lambda d: {"slug": d.national.slug}),
    "jurisdictions.admin_index": (ADMIN, lambda d: {}),
    "jurisdictions.admin_create": (ADMIN, lambda d: {}),
    "jurisdictions.admin_edit": (ADMIN, lambda d: {"slug": d.national.slug}),
    "jurisdictions.admin_roles": (ADMIN, lambda d: {}),
    "jurisdictions.admin_user": (ADMIN, lambda d: {"user_id": d.user(REPORTER).id}),
    "organisations.detail": (PUBLIC, lambda d: {"organisation_id": d.organisation.id}),
    "organisations.mine": (OSC, lambda d: {}),
    "organisations.request_representation": (CITIZEN, lambda d: {}),
    "organisations.moderation": (MODERATOR, lambda d: {}),
    "organisations.review": (MODERATOR_RENCA, lambda d: {"representation_id": d.representation.id}),
    # cycles
    "cycles.detail": (PUBLIC, lambda d: _cycle(d.pa4)),
    "cycles.admin_index": (ADMIN, lambda d: {"slug": d.national.slug}),
    "cycles.create": (ADMIN, lambda d: {"slug": d.national.slug}),
    "cycles.admin_cycle": (ADMIN_RENCA, lambda d: _cycle(d.ren1)),
    "cycles.admin_phase": (ADMIN_RENCA, lambda d: _cycle(d.ren1) | {"kind_slug": _kind_slug()}),
    "cycles.admin_phase_state": (ADMIN_RENCA, lambda d: _cycle(d.ren1) | {"kind_slug": _kind_slug(),
                                                                          "action": "cerrar"}),
    "cycles.duplicate": (ADMIN_RENCA, lambda d: _cycle(d.ren1)),
    # proposals
    "proposals.register": (PUBLIC, lambda d: _cycle(d.pa4)),
    "proposals.detail": (PUBLIC, lambda d: _cycle(d.pa4) | {"reference": d.pa4_proposal.reference}),
    "proposals.versions": (PUBLIC, lambda d: _cycle(d.pa4) | {"reference": d.pa4_proposal.reference}),
    "proposals.export": (PUBLIC, lambda d: [_cycle(d.pa4) | {"fmt": fmt} for fmt in ("csv", "json", "xlsx")]),
    "proposals.write": (CITIZEN, lambda d: [_cycle(d.ren1), _cycle(d.ren1) | {"draft_id": d.draft.id}]),
    "proposals.drafts": (CITIZEN, lambda d: _cycle(d.ren1)),
    "proposals.review": (CITIZEN, lambda d: _cycle(d.ren1) | {"draft_id": d.draft.id}),
    "proposals.edit": (CITIZEN, lambda d: _cycle(d.ren1) | {"reference": d.citizen_proposal.reference}),
    "proposals.withdraw": (CITIZEN, lambda d: _cycle(d.ren1) | {"reference": d.citizen_proposal.reference}),
    "proposals.attachment": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {
        "reference": d.citizen_proposal.reference, "attachment_id": d.citizen_proposal.attachments[0].id}),
    "proposals.moderation": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "proposals.enter": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "proposals.inadmissible": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"reference": d.renca_proposal.reference}),
    # triage
    "triage.queue": (MODERATOR, lambda d: _cycle(d.pa4)),
    "triage.next_unanswered": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "triage.decide": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"reference": d.renca_proposal.reference}),
    "triage.bulk": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "triage.prepared": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "triage.clusters": (MODERATOR, lambda d: _cycle(d.pa4)),
    "triage.coverage": (PUBLIC, lambda d: _cycle(d.pa4)),
    "triage.coverage_list": (PUBLIC, lambda d: _cycle(d.pa4)),
    "triage.templates": (MODERATOR, lambda d: {"slug": d.national.slug}),
    "triage.template_form": (MODERATOR, lambda d: [{"slug": d.national.slug},
                                                  {"slug": d.national.slug, "template_id": d.answer_template.id}]),
    # working tables
    "tables.cycle_tables": (PUBLIC, lambda d: _cycle(d.pa4)),
    "tables.detail": (PUBLIC, lambda d: {"table_id": d.table.id}),
    "tables.calendar": (PUBLIC, lambda d: {"table_id": d.open_table.id}),
    "tables.register": (CITIZEN, lambda d: {"table_id": d.open_table.id}),
    "tables.create": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "tables.manage": (MODERATOR, lambda d: {"table_id": d.table.id}),
    "tables.printable": (MODERATOR, lambda d: {"table_id": d.table.id}),
    "tables.minutes": (MODERATOR_RENCA, lambda d: {"table_id": d.open_table.id}),
    "tables.proposals": (MODERATOR_RENCA, lambda d: {"table_id": d.open_table.id}),
    "tables.export": (MODERATOR, lambda d: [{"table_id": d.table.id, "kind": kind} for kind in ("csv", "xlsx")]),
    # commitments and the plan
    "commitments.plan": (PUBLIC, lambda d: _cycle(d.pa4)),
    "commitments.detail": (PUBLIC, lambda d: _cycle(d.pa4) | {"number": d.commitment_4.number}),
    "commitments.versions": (PUBLIC, lambda d: _cycle(d.pa4)),
    "commitments.version": (PUBLIC, lambda d: _cycle(d.pa4) | {"number": 1}),
    "commitments.create": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    "commitments.edit": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"number": d.renca_commitment.number}),
    "commitments.link": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"number": d.renca_commitment.number}),
    "commitments.change_state": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {
        "number": d.renca_commitment.number, "action": "retirar"}),
    "commitments.activity": (MODERATOR, lambda d: [
        _cycle(d.pa4) | {"number": d.commitment_4.number},
        _cycle(d.pa4) | {"number": d.commitment_4.number, "activity_id": d.activity.id}]),
    "commitments.freeze": (MODERATOR_RENCA, lambda d: _cycle(d.ren1)),
    # the consultation
    "consultation.overview": (PUBLIC, lambda d: _cycle(d.pa4)),
    "consultation.plan_thread": (PUBLIC, lambda d: _cycle(d.pa4)),
    "consultation.commitment_thread": (PUBLIC, lambda d: _cycle(d.pa4) | {"number": d.commitment_4.number}),
    "consultation.comment": (PUBLIC, lambda d: _cycle(d.pa4) | {"comment_id": d.pa4_comment.id}),
    "consultation.export": (PUBLIC, lambda d: [_cycle(d.pa4) | {"fmt": fmt} for fmt in ("csv", "json", "xlsx")]),
    "consultation.reply": (CITIZEN, lambda d: _cycle(d.ren1) | {"comment_id": d.renca_comment.id}),
    "consultation.report": (CITIZEN, lambda d: _cycle(d.ren1) | {"comment_id": d.renca_comment.id}),
    "consultation.edit": (CITIZEN, lambda d: _cycle(d.ren1) | {"comment_id": d.comment_by(CITIZEN, d.ren1).id}),
    "consultation.withdraw": (CITIZEN, lambda d: _cycle(d.ren1) | {"comment_id": d.comment_by(CITIZEN, d.ren1).id}),
    "consultation.appeal": (OSC, lambda d: _cycle(d.ren1) | {"comment_id": _hidden(d, {}).id}),
    "consultation.answer": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"comment_id": d.renca_comment.id}),
    "consultation.hide": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"comment_id": d.renca_comment.id}),
    "consultation.restore": (MODERATOR_RENCA, lambda d: _cycle(d.ren1) | {"comment_id": _appealed(d).id}),
    # Another moderator than the one who hid it decides: a national one.
    "consultation.decide_appeal": (MODERATOR, lambda d: _cycle(d.ren1) | {"comment_id": _appealed(d).id}),
    "consultation.queue": (MODERATOR, lambda d: _cycle(d.pa4)),
    "consultation.settings": (ADMIN_RENCA, lambda d: _cycle(d.ren1)),
    # the Mesa de Gobierno Abierto
    "mesa.forum": (PUBLIC, lambda d: {"slug": d.national.slug}),
    "mesa.forum_document": (PUBLIC, lambda d: {"slug": d.national.slug}),
    "mesa.meeting": (PUBLIC, lambda d: {"slug": d.national.slug, "meeting_id": d.meeting.id}),
    "mesa.published": (PUBLIC, lambda d: [_cycle(d.pa4), _cycle(d.pa4) | {"number": d.publication.number}]),
    "mesa.export": (PUBLIC, lambda d: [_cycle(d.pa4) | {"number": d.publication.number, "fmt": fmt}
                                       for fmt in ("pdf", "docx", "json")]),
    "mesa.review": (MESA, lambda d: _cycle(d.pa4)),
    "mesa.create_forum": (ADMIN_RENCA, lambda d: {"slug": d.renca.slug}),
    "mesa.edit_forum": (ADMIN, lambda d: {"slug": d.national.slug}),
    "mesa.add_seat": (ADMIN, lambda d: {"slug": d.national.slug}),
    "mesa.end_seat": (ADMIN, lambda d: {"slug": d.national.slug, "seat_id": d.seat.id}),
    "mesa.record_meeting": (ADMIN, lambda d: {"slug": d.national.slug}),
    "mesa.record_act": (ADMIN, lambda d: {"slug": d.national.slug, "meeting_id": d.meeting.id}),
    "mesa.void_act": (ADMIN, lambda d: {"slug": d.national.slug, "act_id": d.act.id}),
    "mesa.answer": (MODERATOR, lambda d: _cycle(d.pa4) | {"observation_id": d.observation.id}),
    "mesa.publish": (MODERATOR, lambda d: _cycle(d.pa4)),
    # implementation monitoring
    "monitoring.tracker": (PUBLIC, lambda d: _cycle(d.pa4)),
    "monitoring.late": (PUBLIC, lambda d: _cycle(d.pa4)),
    "monitoring.commitment": (PUBLIC, lambda d: _cycle(d.pa4) | {"number": d.commitment_4.number}),
    "monitoring.activity": (PUBLIC, lambda d: _cycle(d.pa4) | {"activity_id": d.activity.id}),
    "monitoring.report": (PUBLIC, lambda d: _cycle(d.pa4) | {"report_id": d.report.id}),
    "monitoring.evidence_file": (PUBLIC, lambda d: _cycle(d.pa4) | {"report_id": d.report.id,
                                                                   "evidence_id": d.evidence.id}),
    "monitoring.export": (PUBLIC, lambda d: [_cycle(d.pa4) | {"fmt": fmt}
                                             for fmt in ("csv", "json", "xlsx", "docx", "pdf")]),
    "monitoring.report_form": (REPORTER, lambda d: _cycle(d.pa4) | {"activity_id": d.activity.id}),
    "monitoring.correct": (REPORTER, lambda d: _cycle(d.pa4) | {"report_id": d.report.id}),
    "monitoring.edit_activity": (MODERATOR, lambda d: _cycle(d.pa4) | {"activity_id": d.activity.id}),
    # statistics
    "stats.overview": (PUBLIC, lambda d: {}),
    "stats.comparison": (PUBLIC, lambda d: {"slug": d.national.slug}),
    "stats.held_tables": (PUBLIC, lambda d: _cycle(d.pa4)),
    "stats.attendees": (PUBLIC, lambda d: _cycle(d.pa4)),
    "stats.comments": (PUBLIC, lambda d: _cycle(d.pa4)),
    "stats.commitments_from_proposals": (PUBLIC, lambda d: _cycle(d.pa4)),
    "stats.open_data": (PUBLIC, lambda d: _cycle(d.pa4)),
    "stats.dataset": (PUBLIC, lambda d: [_cycle(d.pa4) | {"name": "propuestas", "fmt": fmt}
                                         for fmt in ("csv", "json", "xlsx")]),
    "stats.archive": (PUBLIC, lambda d: _cycle(d.pa4) | {"name": d.pa4.slug}),
    "stats.feed": (PUBLIC, lambda d: _cycle(d.pa4)),
    # the Municipal Model
    "municipal.followup": (PUBLIC, lambda d: {}),
    "municipal.regions": (PUBLIC, lambda d: {}),
    "municipal.municipality": (PUBLIC, lambda d: {"slug": d.renca.slug}),
    "municipal.adhesion_document": (PUBLIC, lambda d: {"slug": d.adhered_with_act.slug}),
    "municipal.support": (PUBLIC, lambda d: {}),
    "municipal.session": (PUBLIC, lambda d: {"activity_id": d.support_activity.id}),
    "municipal.versions": (PUBLIC, lambda d: {}),
    "municipal.version": (PUBLIC, lambda d: {"number": 1}),
    "municipal.diagnostic": (ADMIN, lambda d: {"slug": d.diagnostic.jurisdiction.slug,
                                               "diagnostic_id": d.diagnostic.id}),
    "municipal.fill_diagnostic": (ADMIN, lambda d: {"slug": d.draft_diagnostic.jurisdiction.slug,
                                                    "diagnostic_id": d.draft_diagnostic.id}),
    "municipal.local_response": (OSC, lambda d: {"slug": d.local_response.diagnostic.jurisdiction.slug,
                                                 "diagnostic_id": d.local_response.diagnostic_id,
                                                 "response_id": d.local_response.id}),
    "municipal.record_adhesion": (ADMIN, lambda d: {"slug": d.renca.slug}),
    "municipal.record_support": (ADMIN, lambda d: {}),
    "municipal.edit_question": (ADMIN, lambda d: {"number": 1, "question_id": d.question.id}),
}


@dataclass
class Visit:
    endpoint: str
    rule: str
    path: str
    who: str | None

    @property
    def redirect(self) -> bool:
        return self.endpoint in REDIRECTS

    @property
    def download(self) -> bool:
        return self.endpoint in DOWNLOADS

    @property
    def expected_type(self) -> str | None:
        extension = self.path.rsplit(".", 1)[-1] if "." in self.path.rsplit("/", 1)[-1] else None
        return FORMAT_TYPES.get(extension) or DOWNLOADS.get(self.endpoint)


def get_rules(app) -> list[Rule]:
    """Every rule a browser can open: GET, not the static files."""
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"]


def visits(app) -> tuple[list[Visit], list[str]]:
    """One visit per GET rule (and per format of a download), and the rules with no demo instance.
    Runs in an app context on the demo's database."""
    records = Records()
    adapter = app.url_map.bind("localhost")
    found, missing = [], []
    for rule in get_rules(app):
        if rule.endpoint not in ROUTES:
            missing.append(f"no demo instance for endpoint {rule.endpoint} ({rule.rule})")
            continue
        who, values = ROUTES[rule.endpoint]
        options = values(records)
        options = options if isinstance(options, list) else [options]
        # The options meant for this rule are those that give every one of its arguments and no other.
        mine = [option for option in options if set(option) == rule.arguments]
        if not mine:
            missing.append(f"no demo instance for endpoint {rule.endpoint} ({rule.rule})")
        for option in mine:
            path = adapter.build(rule.endpoint, option)
            assert adapter.match(path, method="GET")[0] == rule.endpoint
            found.append(Visit(rule.endpoint, rule.rule, path, who))
    return found, missing


def complete_the_demo(app) -> None:
    """What the demo holds no instance of: Camila's draft and her proposal with an attachment, her
    comment and pending email change in Renca; Diego's hidden comments (one appealed); a suspended
    person; the signed documents of the Mesa and of Arica's adhesion. Through the services, in an
    app context on the demo's database."""
    from consulta.accounts import services as accounts
    from consulta.consultation import services as consultation
    from consulta.consultation.models import ReportReason
    from consulta.core import clock
    from consulta.core.windows import to_local
    from consulta.extensions import db
    from consulta.jurisdictions.models import Jurisdiction
    from consulta.mesa import services as mesa
    from consulta.monitoring import services as monitoring
    from consulta.municipal import services as municipal
    from consulta.proposals import services as proposals
    from consulta.proposals.models import OgpValue

    d = Records()
    citizen, osc, moderator = d.user(CITIZEN), d.user(OSC), d.user(MODERATOR_RENCA)
    area = proposals.areas(d.ren1)[0]
    content = {"problem": "Las actas del concejo municipal se publican meses después de cada sesión.",
               "body": "Publicar cada acta del concejo dentro de los siete días siguientes a la sesión.",
               "area": area.id, "values": [OgpValue.TRANSPARENCIA]}
    sent = proposals.save_draft(cycle=d.ren1, owner=citizen, actor=citizen, title="Actas del concejo en línea",
                                uploads=[_pdf("acta.pdf")], **content)
    proposals.send_draft(sent, idempotency_key=proposals.new_idempotency_key(), actor=citizen)
    proposals.save_draft(cycle=d.ren1, owner=citizen, actor=citizen, title="Presupuesto participativo", **content)

    target = consultation.plan_target(d.ren1)
    consultation.post_comment(target, author=citizen, text="Propongo sumar un compromiso sobre el concejo.",
                              alignment=_first_alignment())
    for text in ("Comentario que la moderación ocultó.", "Otro comentario oculto, ya apelado."):
        comment = consultation.post_comment(target, author=osc, text=text, alignment=_first_alignment())
        consultation.hide(comment, reason=ReportReason.FUERA_DE_TEMA, note="No trata del plan.", actor=moderator)
    consultation.appeal(comment, text="Sí trata del plan: el concejo es parte del municipio.", actor=osc)

    today = to_local(clock.now(), d.national.timezone).date()
    monitoring.submit_report(d.activity, reporter=d.user(REPORTER), reported_on=today, percent=100,
                             narrative="Se publicó el informe final; se adjunta.", files=[_pdf("informe-final.pdf")])
    forum = mesa.forum_of(d.national)
    mesa.update_forum(forum, name=forum.name, act_number=forum.act_number, act_date=forum.act_date,
                      rules=forum.rules_html, actor=d.user(ADMIN), document=_pdf("resolucion-852.pdf"))
    arica = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "arica"))  # invited, in the demo
    municipal.record_adhesion(arica, mayor_name="Gerardo Espíndola", signed_on=d.pa4.starts_on, act_number="D.A. 1234",
                              document=_pdf("acta-adhesion.pdf"), actor=d.user(ADMIN))

    citizen.pending_email = "camila.nueva@example.org"
    suspended = accounts.create_user(email=_email(SUSPENDED), password=EXTRA_PASSWORD, display_name="Sonia Suspendida",
                                     verified=True)
    db.session.flush()
    accounts.suspend(suspended, actor=moderator, jurisdiction=d.renca, reason="Mensajes repetidos en la consulta.")
    db.session.commit()


def _pdf(name):
    return FileStorage(io.BytesIO(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), filename=name,
                       content_type="application/pdf")


def _first_alignment():
    from consulta.consultation.models import Alignment

    return next(iter(Alignment))
