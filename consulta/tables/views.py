from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.core import clock
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import confirmed
from consulta.core.permissions import require
from consulta.cycles.services import cycle_or_404
from consulta.extensions import db
from consulta.organisations.services import verified_organisations
from consulta.tables import bp, exports, services
from consulta.tables.forms import (AssignForm, CapacityForm, CheckInForm, MinutesForm, RegistrationForm, SearchForm,
                                   TableForm, WalkInForm)
from consulta.tables.models import HISTORY_LABELS, Registration, RegistrationState, WorkingTable

SEARCH_MAX = 120


def _table(table_id, *, for_update=False) -> WorkingTable:
    """The table or 404; a POST that changes seats takes its write lock before anything else."""
    table = services.get_for_update(table_id) if for_update else db.session.get(WorkingTable, table_id)
    if table is None:
        abort(404)
    return table


def _registration(table, registration_id) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.table_id != table.id:
        abort(404)
    return registration


def _detail(table):
    return redirect(url_for(".detail", table_id=table.id))


def _manage(table):
    return redirect(url_for(".manage", table_id=table.id))


# Public pages ------------------------------------------------------------------------------------

@bp.route("/<slug>/<cycle_slug>")
def cycle_tables(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    tables = services.tables_of(cycle)
    return render_template("tables/cycle.html", cycle=cycle, tables=tables,
                           attendance=services.attendance_by_table(tables),
                           held=services.tables_held(cycle), attendees=services.attendees(cycle))


@bp.route("/<int:table_id>")
def detail(table_id):
    table = _table(table_id)
    mine = services.live_registration(table, current_user)
    return render_template(
        "tables/detail.html", table=table, mine=mine,
        position=services.waiting_position(mine) if mine else None,
        waiting=services.waiting_count(table),
        attendance=services.attendance_by_table([table]).get(table.id, 0),
        registration_open=services.registration_open(table), links=services.assigned_links(table),
        history=history(table), labels=HISTORY_LABELS,
    )


@bp.route("/<int:table_id>/calendario.ics")
def calendar(table_id):
    table = _table(table_id)
    return Response(exports.icalendar(table), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="mesa-{table.id}.ics"'})


# Registration ------------------------------------------------------------------------------------

@bp.route("/<int:table_id>/inscripcion", methods=["GET", "POST"])
def register(table_id):
    table = _table(table_id, for_update=request.method == "POST")
    require(current_user, "register_for_table", table)
    if services.live_registration(table, current_user) is not None:
        return _detail(table)
    form = RegistrationForm(organisations=verified_organisations(current_user))
    if form.validate_on_submit():
        try:
            registration = services.register(table, user=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            if registration.state == RegistrationState.CONFIRMED:
                flash(_("Your seat is confirmed. Your code for the door is %(code)s.", code=registration.code))
            else:
                flash(_("The table is full: you are number %(position)s on the waiting list.",
                        position=services.waiting_position(registration)))
            return _detail(table)
    return render_template("tables/register.html", table=table, form=form,
                           registration_open=services.registration_open(table))


@bp.route("/<int:table_id>/inscripciones/<int:registration_id>/cancelar", methods=["POST"])
def cancel(table_id, registration_id):
    table = _table(table_id, for_update=True)
    registration = _registration(table, registration_id)
    require(current_user, "cancel_registration", registration)
    own = registration.user_id == current_user.id
    if confirmed():
        try:
            services.cancel(registration, actor=current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Your registration is cancelled.") if own else _("The registration is cancelled."))
    return _detail(table) if own else _manage(table)


# Running the table -------------------------------------------------------------------------------

@bp.route("/<slug>/<cycle_slug>/nueva", methods=["GET", "POST"])
def create(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    form = TableForm()
    if form.validate_on_submit():
        try:
            table = services.create_table(cycle, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The table is created."))
            return _detail(table)
    return render_template("tables/form.html", cycle=cycle, form=form)


def _manage_page(table, *, capacity_form=None, check_in_form=None, walk_in_form=None, status=200):
    search = SearchForm(formdata=request.args)
    q = (search.q.data or "").strip()[:SEARCH_MAX] if search.validate() else ""
    return render_template(
        "tables/manage.html", table=table, q=q, search_form=search,
        registrations=services.registrations_for_moderators(table, q=q or None),
        walk_ins=services.walk_ins(table), attendance=services.attendance_by_table([table]).get(table.id, 0),
        capacity_form=capacity_form or CapacityForm(capacity=table.capacity),
        check_in_form=check_in_form or CheckInForm(formdata=None),
        walk_in_form=walk_in_form or WalkInForm(formdata=None),
        history=history(table), labels=HISTORY_LABELS,
    ), status


@bp.route("/<int:table_id>/gestion")
def manage(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    return _manage_page(table)


@bp.route("/<int:table_id>/lista")
def printable(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    return render_template("tables/printable.html", table=table,
                           registrations=services.registrations_for_moderators(table))


@bp.route("/<int:table_id>/capacidad", methods=["POST"])
def capacity(table_id):
    table = _table(table_id, for_update=True)
    require(current_user, "moderate", table)
    form = CapacityForm()
    if form.validate_on_submit():
        try:
            promoted = services.set_capacity(table, capacity=form.capacity.data, reason=form.reason.data,
                                             actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The capacity is now %(capacity)s.", capacity=table.capacity))
            if promoted:
                flash(_("%(count)s people moved from the waiting list to a seat and were emailed.",
                        count=len(promoted)))
            return _manage(table)
    return _manage_page(table, capacity_form=form, status=422)


@bp.route("/<int:table_id>/asistencia", methods=["POST"])
def check_in_code(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            check = services.check_in_code(table, code=form.code.data, actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=check.registration.user.public_name))
            return _manage(table)
    return _manage_page(table, check_in_form=form, status=422)


@bp.route("/<int:table_id>/inscripciones/<int:registration_id>/asistencia", methods=["POST"])
def check_in(table_id, registration_id):
    table = _table(table_id)
    registration = _registration(table, registration_id)
    require(current_user, "moderate", table)
    if confirmed():
        try:
            services.check_in(registration, actor=current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=registration.user.public_name))
    return redirect(url_for(".manage", table_id=table.id, q=request.args.get("q") or None))


@bp.route("/<int:table_id>/sin-inscripcion", methods=["POST"])
def walk_in(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            services.walk_in(table, name=form.name.data, organisation_name=form.organisation_name.data,
                             actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(name)s is checked in without registration.", name=form.name.data.strip()))
            return _manage(table)
    return _manage_page(table, walk_in_form=form, status=422)


@bp.route("/<int:table_id>/acta", methods=["GET", "POST"])
def minutes(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    form = MinutesForm(links=services.assigned_links(table))
    if not form.is_submitted():
        form.minutes.data = table.minutes
        form.organisations_present.data = table.organisations_present or "\n".join(
            services.organisations_checked_in(table))
    if form.validate_on_submit():
        try:
            services.write_minutes(table, minutes=form.minutes.data, discussed=form.discussed.data,
                                   organisations_present=form.organisations_present.data, actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The minutes are saved."))
            return _manage(table)
    return render_template("tables/minutes.html", table=table, form=form, now=clock.now())


@bp.route("/<int:table_id>/propuestas", methods=["GET", "POST"])
def proposals(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    choices = [(proposal, current) for proposal, current in services.assignment_choices(table)
               if current is None or current.id != table.id]
    form = AssignForm(choices=choices)
    if form.validate_on_submit():
        try:
            services.assign_proposals(table, [form.by_id[key] for key in form.proposals.data], actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The proposals are assigned to this table."))
            return redirect(url_for(".proposals", table_id=table.id))
    return render_template("tables/proposals.html", table=table, form=form,
                           links=services.assigned_links(table), has_choices=bool(choices))


@bp.route("/<int:table_id>/cerrar", methods=["POST"])
def close(table_id):
    table = _table(table_id)
    require(current_user, "moderate", table)
    if confirmed():
        try:
            services.close_table(table, actor=current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The table is closed: it counts among the cycle's tables."))
            return _detail(table)
    return _manage(table)


@bp.route("/<int:table_id>/inscripciones.<any(csv, xlsx):kind>")
def export(table_id, kind):
    table = _table(table_id)
    require(current_user, "moderate", table)
    content, mimetype = (exports.registrations_csv(table), "text/csv; charset=utf-8") if kind == "csv" else (
        exports.registrations_xlsx(table), exports.XLSX_MIMETYPE)
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="mesa-{table.id}-inscripciones.{kind}"',
        "Cache-Control": "no-store"})
