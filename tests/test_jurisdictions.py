"""Jurisdictions, entities, roles held per jurisdiction, follows, their pages and `flask users create-admin`."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from consulta.accounts.models import UserState
from consulta.core.audit import StateChange, history, transition
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.permissions import can
from consulta.cycles.models import Cycle
from consulta.jurisdictions import roles, services
from consulta.jurisdictions.models import FollowState, GrantState, JurisdictionKind, Role, RoleGrant
from consulta.jurisdictions.regions import Region
from tests.factories import (make_entity, make_grant, make_jurisdiction, make_national, make_representation, make_user,
                             unique)


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def post(client, path, data=None, **kwargs):
    """Post as a signed-in person's browser would: with a CSRF token for the form and for each
    prefixed form its fields belong to ("grant-3-reason" → "grant-3-csrf_token")."""
    token = CSRF.search(client.get("/j/").get_data(as_text=True)).group(1)
    data = dict(data or {})
    prefixes = {key.rsplit("-", 1)[0] for key in data if "-" in key}
    data.update({"csrf_token": token}, **{f"{prefix}-csrf_token": token for prefix in prefixes})
    return client.post(path, data=data, **kwargs)


@pytest.fixture
def sign_in(client, login_as):
    """Sign a person in, reading the pages in English (the messages these tests look for)."""
    def sign(user):
        login_as(user)
        with client.session_transaction() as session:
            session["lang"] = "en"
        return client

    return sign


def admin_of(jurisdiction):
    return make_grant(role=Role.ADMIN, jurisdiction=jurisdiction).user


def events(obj):
    return [(row.from_state, row.to_state) for row in history(obj, public_only=False)]


# --- creating and editing jurisdictions ---------------------------------------------------------

def test_a_jurisdiction_takes_its_regions_time_zone_and_records_its_creation(db):
    punta_arenas = make_jurisdiction(name="Punta Arenas", region=Region.MA)
    renca = make_jurisdiction(name="Renca", region=Region.RM)

    assert punta_arenas.timezone == "America/Punta_Arenas"
    assert renca.timezone == "America/Santiago"
    assert events(renca) == [(None, "CREATED")]


@pytest.mark.parametrize("overrides, field", [
    ({"slug": "Renca Norte"}, "slug"),
    ({"slug": "renca--norte"}, "slug"),
    ({"slug": "admin"}, "slug"),
    ({"slug": "x" * 61}, "slug"),
    ({"timezone": "America/Renca"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"region": None}, "region"),
    ({"name": "   "}, "name"),
])
def test_bad_jurisdiction_details_are_refused_next_to_their_field(db, overrides, field):
    with pytest.raises(DomainError) as refused:
        make_jurisdiction(**overrides)
    assert refused.value.field == field


def test_slugs_are_unique_and_there_is_one_national_level(db):
    make_jurisdiction(slug="renca")
    with pytest.raises(DomainError) as regional:
        services.create_jurisdiction(name="N", slug="n", kind=JurisdictionKind.NATIONAL, region=Region.RM, actor=None)
    assert regional.value.field == "region"
    make_national()
    with pytest.raises(DomainError) as taken:
        make_jurisdiction(slug="renca")
    assert taken.value.field == "slug"
    with pytest.raises(DomainError) as second:
        services.create_jurisdiction(name="Otro", slug="otro", kind=JurisdictionKind.NATIONAL, actor=None)
    assert second.value.field == "kind"


def test_only_a_national_administrator_creates_jurisdictions(db):
    renca = make_jurisdiction()
    with pytest.raises(PermissionDenied):
        make_jurisdiction(actor=admin_of(renca))
    created = make_jurisdiction(actor=admin_of(make_national()))
    assert history(created)[0].actor_id is not None


def test_an_administrator_edits_their_jurisdiction_only_and_the_change_is_recorded(db):
    renca, vitacura = make_jurisdiction(), make_jurisdiction()
    admin = admin_of(renca)

    services.update_jurisdiction(renca, actor=admin, name="Renca", timezone="America/Punta_Arenas")

    assert (renca.name, renca.timezone) == ("Renca", "America/Punta_Arenas")
    last = history(renca)[-1]
    assert (last.to_state, last.actor_id, last.reason) == ("UPDATED", admin.id, "name, timezone")
    with pytest.raises(PermissionDenied):
        services.update_jurisdiction(vitacura, actor=admin, name="Vitacura")
    with pytest.raises(DomainError):
        services.update_jurisdiction(renca, actor=admin, kind=JurisdictionKind.NATIONAL)


def test_entities_are_unique_per_jurisdiction_and_recorded(db):
    renca = make_jurisdiction()
    entity = make_entity(renca, name="Dirección de Obras")
    assert events(entity) == [(None, "CREATED")]
    with pytest.raises(DomainError):
        make_entity(renca, name="dirección de obras")
    make_entity(make_jurisdiction(), name="Dirección de Obras")


# --- roles -------------------------------------------------------------------------------------

def test_a_grant_is_audited_and_a_moderator_of_renca_is_nobody_in_vitacura(db):
    renca, vitacura = make_jurisdiction(), make_jurisdiction()
    admin, person = admin_of(renca), make_user()

    grant = services.grant_role(person, Role.MODERATOR, renca, actor=admin, reason="runs the tables")

    row = history(grant, public_only=False)[0]
    assert (row.from_state, row.to_state, row.actor_id, row.reason) == (None, "ACTIVE", admin.id, "runs the tables")
    assert roles.holds(person, Role.MODERATOR, renca)
    assert not roles.holds(person, Role.MODERATOR, vitacura)
    assert roles.jurisdictions_where(person, Role.MODERATOR) == {renca.id}


def test_a_duplicate_active_grant_is_refused_but_a_revoked_one_can_be_given_again(db):
    renca = make_jurisdiction()
    admin = admin_of(renca)
    grant = make_grant(role=Role.MODERATOR, jurisdiction=renca)
    with pytest.raises(DomainError) as duplicate:
        services.grant_role(grant.user, Role.MODERATOR, renca, actor=admin)
    assert duplicate.value.field == "role"

    services.revoke_role(grant, actor=admin, reason="left the municipality")
    again = services.grant_role(grant.user, Role.MODERATOR, renca, actor=admin)
    assert again.state == GrantState.ACTIVE and again.id != grant.id


def test_only_administrators_of_that_jurisdiction_or_national_ones_grant(db):
    renca, vitacura = make_jurisdiction(), make_jurisdiction()
    person = make_user()
    for outsider in (admin_of(vitacura), make_grant(role=Role.MODERATOR, jurisdiction=renca).user, make_user()):
        with pytest.raises(PermissionDenied):
            services.grant_role(person, Role.MODERATOR, renca, actor=outsider)
    services.grant_role(person, Role.MODERATOR, renca, actor=admin_of(make_national()))


def test_a_reporter_reports_for_an_entity_of_the_same_jurisdiction(db):
    renca, vitacura = make_jurisdiction(), make_jurisdiction()
    person = make_user()
    for entity in (None, make_entity(vitacura)):
        with pytest.raises(DomainError) as refused:
            services.grant_role(person, Role.REPORTER, renca, entity=entity, actor=None)
        assert refused.value.field == "entity"
    with pytest.raises(DomainError):
        services.grant_role(person, Role.MODERATOR, renca, entity=make_entity(renca), actor=None)
    grant = services.grant_role(person, Role.REPORTER, renca, entity=make_entity(renca), actor=None)
    assert can(person, "report_progress", grant.entity)


def test_roles_go_to_active_accounts_only(db):
    person = make_user()
    transition(person, UserState.CLOSED, actor=person)
    with pytest.raises(DomainError):
        services.grant_role(person, Role.MODERATOR, make_jurisdiction(), actor=None)


def test_revoking_needs_a_reason_is_audited_and_ends_the_role(db):
    renca = make_jurisdiction()
    admin = admin_of(renca)
    grant = make_grant(role=Role.MESA_MEMBER, jurisdiction=renca)
    with pytest.raises(DomainError) as no_reason:
        services.revoke_role(grant, actor=admin, reason="  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.revoke_role(grant, actor=admin_of(make_jurisdiction()), reason="not mine")

    services.revoke_role(grant, actor=admin, reason="term ended")

    assert grant.state == GrantState.REVOKED
    last = history(grant, public_only=False)[-1]
    assert (last.from_state, last.to_state, last.actor_id, last.reason) == ("ACTIVE", "REVOKED", admin.id, "term ended")
    assert not roles.holds(grant.user, Role.MESA_MEMBER, renca)
    with pytest.raises(DomainError):
        services.revoke_role(grant, actor=admin, reason="twice")


def test_an_administrator_cannot_revoke_their_own_administrator_role(db):
    grant = make_grant(role=Role.ADMIN)
    with pytest.raises(DomainError):
        services.revoke_role(grant, actor=grant.user, reason="oops")


def test_grants_are_read_afresh_after_a_change_within_a_request(app, db):
    renca = make_jurisdiction()
    person = make_user()
    with app.test_request_context():
        assert not roles.holds(person, Role.MODERATOR, renca)
        grant = services.grant_role(person, Role.MODERATOR, renca, actor=None)
        assert roles.holds(person, Role.MODERATOR, renca)
        services.revoke_role(grant, actor=admin_of(renca), reason="done")
        assert not roles.holds(person, Role.MODERATOR, renca)


# --- the permissions table: role × action × where the role is held ----------------------------------

ROLES = (Role.ADMIN, Role.MODERATOR, Role.MESA_MEMBER, Role.REPORTER)
PLACES = ("same", "other", "national")
SAME_OR_NATIONAL = {"same", "national"}
# The acting person holds `role` in Renca ("same"), in Vitacura ("other") or nationally; the object
# acted on belongs to Renca. A cell is allowed when this says so, refused otherwise.
ALLOWED = {
    "administer": lambda role, place: role == Role.ADMIN and place in SAME_OR_NATIONAL,
    "moderate": lambda role, place: role == Role.MODERATOR and place in SAME_OR_NATIONAL,
    "review_as_mesa": lambda role, place: role == Role.MESA_MEMBER and place in SAME_OR_NATIONAL,
    "read_dashboards": lambda role, place: role != Role.REPORTER and place in SAME_OR_NATIONAL,
    # A reporter reports for their own entity only; a national reporter's entity is a national one.
    "report_progress": lambda role, place: role == Role.REPORTER and place == "same",
    "view_staff_area": lambda role, place: True,
    "create_jurisdiction": lambda role, place: role == Role.ADMIN and place == "national",
    "manage_users": lambda role, place: role == Role.ADMIN,
    "verify_representation": lambda role, place: role == Role.MODERATOR and place in SAME_OR_NATIONAL,
    "follow_jurisdiction": lambda role, place: True,
}


@pytest.fixture
def world(db):
    renca = make_jurisdiction(name="Renca")
    vitacura = make_jurisdiction(name="Vitacura")
    national = make_national()
    places = {"same": renca, "other": vitacura, "national": national}
    entities = {place: make_entity(jurisdiction) for place, jurisdiction in places.items()}
    representation = make_representation(jurisdiction=renca)
    targets = {"administer": renca, "moderate": renca, "review_as_mesa": renca, "read_dashboards": renca,
               "report_progress": entities["same"], "view_staff_area": None, "create_jurisdiction": None,
               "manage_users": None, "verify_representation": representation, "follow_jurisdiction": renca}
    return places, entities, targets


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_permissions_table(world, role, place):
    places, entities, targets = world
    person = make_user()
    make_grant(person, role, places[place], entity=entities[place] if role == Role.REPORTER else None)
    decided = {action: can(person, action, target) for action, target in targets.items()}
    assert decided == {action: ALLOWED[action](role, place) for action in targets}


def test_a_person_without_roles_and_a_visitor_may_do_none_of_the_staff_actions(world):
    from flask_login import AnonymousUserMixin

    _, _, targets = world
    for person in (make_user(), AnonymousUserMixin()):
        allowed = {action for action, target in targets.items() if can(person, action, target)}
        assert allowed <= {"follow_jurisdiction"}
        assert ("follow_jurisdiction" in allowed) == person.is_authenticated


def test_a_suspended_moderator_loses_the_role_powers(world):
    places, _, targets = world
    grant = make_grant(role=Role.MODERATOR, jurisdiction=places["same"])
    transition(grant.user, UserState.SUSPENDED, actor=None, reason="abuse")
    assert not can(grant.user, "moderate", places["same"])


# --- follows -------------------------------------------------------------------------------------

def test_follow_unfollow_and_followers(db):
    renca = make_jurisdiction()
    alice, bob, unverified = make_user(), make_user(), make_user(verified=False)
    for person in (alice, bob, unverified):
        services.follow(person, renca)
    services.follow(alice, renca)  # twice: harmless

    assert services.followers(renca) == [alice, bob]
    row = services.unfollow(bob, renca)
    assert row.state == FollowState.ENDED
    assert services.followers(renca) == [alice]
    services.follow(bob, renca)
    assert services.followers(renca) == [alice, bob]
    assert events(row) == [(None, "ACTIVE"), ("ACTIVE", "ENDED"), ("ENDED", "ACTIVE")]
    assert services.followers(make_jurisdiction()) == []


# --- public pages --------------------------------------------------------------------------------

def test_the_index_shows_the_national_level_first_then_regions_north_to_south(client, db):
    make_jurisdiction(name="Punta Arenas", region=Region.MA)
    make_jurisdiction(name="Arica", region=Region.AP)
    make_jurisdiction(name="Renca", region=Region.RM)
    make_national(name="Gobierno de Chile")

    page = client.get("/j/").get_data(as_text=True)

    order = [page.index(text) for text in ("Gobierno de Chile", "Arica y Parinacota", "Arica",
                                           "Metropolitana de Santiago", "Renca", "Magallanes", "Punta Arenas")]
    assert order == sorted(order)


def test_the_home_page_lists_the_jurisdictions(client, db):
    make_jurisdiction(name="Talagante")
    assert "Talagante" in client.get("/").get_data(as_text=True)


def test_a_jurisdiction_page_shows_its_details_and_its_cycles(client, db):
    renca = make_jurisdiction(name="Renca", slug="renca")
    db.session.add(Cycle(jurisdiction=renca, name="Plan local 2025", slug="plan-2025", code="RE25",
                         starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31)))
    db.session.flush()

    page = client.get("/j/renca").get_data(as_text=True)

    assert "Renca" in page and "America/Santiago" in page and "Metropolitana de Santiago" in page
    assert 'href="/j/renca/plan-2025"' in page and "Plan local 2025" in page
    assert "Zona horaria" in page and "Ciclos de planes de acción" in page  # Spanish, the default


@pytest.mark.parametrize("path", ["/j/no-such-place", "/j/admin/no-such-place/editar", "/j/%00"])
def test_unknown_jurisdictions_are_404(client, sign_in, db, path):
    sign_in(admin_of(make_national()))
    assert client.get(path).status_code == 404


def test_following_by_button(client, sign_in, db):
    renca = make_jurisdiction(name="Renca", slug="renca")
    person = make_user()
    sign_in(person)

    page = client.get("/j/renca").get_data(as_text=True)
    assert "Follow Renca" in page
    response = post(client, "/j/renca/seguir", follow_redirects=True)
    assert "Stop following Renca" in response.get_data(as_text=True)
    assert services.followers(renca) == [person]
    post(client, "/j/renca/dejar-de-seguir")
    assert services.followers(renca) == []


def test_a_visitor_who_follows_is_sent_to_sign_in(client, db):
    make_jurisdiction(slug="renca")
    response = client.post("/j/renca/seguir")
    assert response.status_code == 302 and "/cuenta/ingresar" in response.headers["Location"]


# --- administration pages ------------------------------------------------------------------------

ADMIN_PAGES = ["/j/admin/", "/j/admin/usuarios", "/j/admin/nueva"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_administration_is_closed_to_people_without_the_role(client, sign_in, db, path):
    sign_in(make_grant(role=Role.MODERATOR, jurisdiction=make_national()).user)
    assert client.get(path).status_code == 403


def test_creating_a_jurisdiction_through_the_form(client, sign_in, db):
    sign_in(admin_of(make_national()))
    typed = {"name": "Cerro Navia", "kind": "MUNICIPALITY", "slug": "Cerro Navia", "region": "RM", "timezone": ""}

    refused = post(client, "/j/admin/nueva", data=typed)
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "lower-case letters" in page and 'value="Cerro Navia"' in page

    response = post(client, "/j/admin/nueva", data={**typed, "slug": "cerro-navia"})
    assert response.status_code == 302
    cerro_navia = services.ordered_jurisdictions()[-1]
    assert (cerro_navia.slug, cerro_navia.timezone) == ("cerro-navia", "America/Santiago")


def test_a_municipal_administrator_edits_theirs_and_gets_403_on_another(client, sign_in, db):
    renca, vitacura = make_jurisdiction(slug="renca"), make_jurisdiction(slug="vitacura")
    sign_in(admin_of(renca))

    assert client.get("/j/admin/renca/editar").status_code == 200
    assert client.get("/j/admin/vitacura/editar").status_code == 403
    assert post(client, "/j/admin/vitacura/editar", data={"name": "X", "slug": "vitacura"}).status_code == 403
    assert post(client, "/j/admin/vitacura/entidades", data={"entity-name": "X"}).status_code == 403
    assert client.get("/j/admin/nueva").status_code == 403

    bad = post(client, "/j/admin/renca/editar", data={"name": "Renca", "slug": "renca", "region": "RM",
                                                      "timezone": "Chile/Renca"})
    assert "Chile/Renca is not a known time zone" in bad.get_data(as_text=True)
    assert renca.timezone == "America/Santiago"
    post(client, "/j/admin/renca/editar", data={"name": "Renca", "slug": "renca", "region": "RM",
                                               "timezone": "America/Punta_Arenas"})
    assert renca.timezone == "America/Punta_Arenas"
    post(client, "/j/admin/renca/entidades", data={"entity-name": "Dirección de Desarrollo Comunitario"})
    assert [entity.name for entity in renca.entities] == ["Dirección de Desarrollo Comunitario"]
    assert vitacura.entities == []


def test_the_people_list_searches_by_email_or_name_and_pages(client, sign_in, db):
    sign_in(admin_of(make_jurisdiction()))
    make_user(display_name="Ana Contreras", email="ana@example.org")
    make_user(display_name="Beto", email="beto.contreras@example.org")
    for _ in range(26):
        make_user(display_name=unique("Zeta "))

    found = client.get("/j/admin/usuarios?q=contreras").get_data(as_text=True)
    assert "Ana Contreras" in found and "beto.contreras@example.org" in found and "Zeta" not in found
    assert "Nobody matches" in client.get("/j/admin/usuarios?q=100%25_").get_data(as_text=True)
    first = client.get("/j/admin/usuarios").get_data(as_text=True)
    assert 'rel="next"' in first
    for forged in ("99999999999", "9" * 40, "-3", "abc"):
        assert client.get(f"/j/admin/usuarios?page={forged}").status_code == 200
    assert client.get("/j/admin/usuarios?q=" + "x" * 300).status_code == 200


def test_granting_and_revoking_through_the_pages_is_audited_and_visible(client, sign_in, db):
    renca = make_jurisdiction(name="Renca")
    admin = admin_of(renca)
    person = make_user(display_name="Carla")
    sign_in(admin)

    response = post(client, f"/j/admin/usuarios/{person.id}/roles",
                           data={"role": "MODERATOR", "jurisdiction": renca.id, "entity": "", "reason": "new staff"})
    assert response.status_code == 302
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == person.id))
    page = client.get(f"/j/admin/usuarios/{person.id}").get_data(as_text=True)
    assert "Moderator — Renca" in page and "new staff" in page and admin.display_name in page

    duplicate = post(client, f"/j/admin/usuarios/{person.id}/roles",
                            data={"role": "MODERATOR", "jurisdiction": renca.id, "entity": ""})
    assert "already holds this role" in duplicate.get_data(as_text=True)

    no_reason = post(client, f"/j/admin/roles/{grant.id}/revocar", data={f"grant-{grant.id}-reason": ""})
    assert no_reason.status_code == 200 and grant.state == GrantState.ACTIVE
    post(client, f"/j/admin/roles/{grant.id}/revocar", data={f"grant-{grant.id}-reason": "moved away"})
    assert grant.state == GrantState.REVOKED
    page = client.get(f"/j/admin/usuarios/{person.id}").get_data(as_text=True)
    assert "Revoked" in page and "moved away" in page


@pytest.mark.parametrize("data, status", [
    ({"role": "MODERATOR", "jurisdiction": "999999", "entity": ""}, 404),
    ({"role": "MODERATOR", "jurisdiction": "other", "entity": ""}, 403),
    ({"role": "REPORTER", "jurisdiction": "mine", "entity": "999999"}, 404),
    ({"role": "REPORTER", "jurisdiction": "mine", "entity": "other-entity"}, 200),
    ({"role": "OVERLORD", "jurisdiction": "mine", "entity": ""}, 200),
    ({"role": "MODERATOR", "jurisdiction": "abc", "entity": ""}, 200),
    ({"role": "MODERATOR", "jurisdiction": "mine", "entity": "abc"}, 200),
])
def test_forged_ids_in_the_grant_form_are_refused_never_500(client, sign_in, db, data, status):
    mine, other = make_jurisdiction(), make_jurisdiction()
    ids = {"mine": mine.id, "other": other.id, "other-entity": make_entity(other).id}
    person = make_user()
    sign_in(admin_of(mine))

    response = post(client, f"/j/admin/usuarios/{person.id}/roles",
                           data={key: ids.get(value, value) for key, value in data.items()})

    assert response.status_code == status
    assert db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == person.id)) is None


def test_forged_user_and_grant_ids(client, sign_in, db):
    renca = make_jurisdiction()
    sign_in(admin_of(renca))
    foreign = make_grant(role=Role.MODERATOR, jurisdiction=make_jurisdiction())
    assert client.get("/j/admin/usuarios/999999").status_code == 404
    assert post(client, "/j/admin/usuarios/999999/roles", data={}).status_code == 404
    assert post(client, "/j/admin/roles/999999/revocar", data={}).status_code == 404
    assert post(client, f"/j/admin/roles/{foreign.id}/revocar",
                       data={f"grant-{foreign.id}-reason": "not mine"}).status_code == 403
    assert foreign.state == GrantState.ACTIVE


# --- flask users create-admin --------------------------------------------------------------------

@pytest.mark.usefixtures("english_messages")
def test_create_admin_command(app, db):
    person = make_user(email="jefa@example.org")
    renca = make_jurisdiction(slug="renca")
    make_national()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["users", "create-admin", "JEFA@example.org", "--jurisdiction", "renca"])
    assert result.exit_code == 0, result.output
    assert roles.holds(person, Role.ADMIN, renca)
    national_result = runner.invoke(args=["users", "create-admin", "jefa@example.org"])
    assert national_result.exit_code == 0
    assert can(person, "create_jurisdiction")

    assert runner.invoke(args=["users", "create-admin", "nobody@example.org"]).exit_code != 0
    assert runner.invoke(args=["users", "create-admin", "jefa@example.org", "--jurisdiction", "nowhere"]).exit_code != 0
    again = runner.invoke(args=["users", "create-admin", "jefa@example.org"])
    assert again.exit_code != 0 and "already holds" in again.output
    grants = db.session.scalars(select(StateChange).where(StateChange.object_type == "role_grant")).all()
    assert {(row.to_state, row.actor_id) for row in grants} == {("ACTIVE", None)}
