"""`flask demo`: the seed's content, loaded through the services, each object with its history."""
import pytest
from sqlalchemy import func, select

from consulta.accounts.models import User
from consulta.core import clock
from consulta.core.audit import StateChange
from consulta.cycles.models import Cycle, Phase, PhaseKind, PhaseState
from consulta.cycles.services import accepting
from consulta.demo import loader
from consulta.extensions import db as _db
from consulta.jurisdictions.models import Entity, Jurisdiction
from tests.conftest import rolled_back


@pytest.fixture(scope="module")
def demo(app):
    """The demo, loaded once for this module and rolled back at its end."""
    with rolled_back(app) as database:
        summary = loader.load()
        yield database, summary


def _audited_classes():
    """Every model with a state machine, plus the objects that record their creation as an event."""
    classes = {mapper.class_ for mapper in _db.Model.registry.mappers if hasattr(mapper.class_, "TRANSITIONS")}
    return sorted(classes | {Jurisdiction, Entity, Cycle}, key=lambda cls: cls.__name__)


def test_the_seed_municipalities_and_the_national_level_are_there(demo):
    database, _summary = demo
    names = set(database.session.scalars(select(Jurisdiction.name)))
    assert {"Chile", "Cerro Navia", "Peñalolén", "Recoleta", "Santo Domingo", "Talagante", "Vitacura",
            "Providencia", "Renca"} <= names
    entities = set(database.session.scalars(select(Entity.name)))
    assert {"Consejo para la Transparencia", "Ministerio Secretaría General de la Presidencia"} <= entities


def test_demo_accounts_are_verified_and_their_passwords_printed(demo):
    database, summary = demo
    users = database.session.scalars(select(User)).all()
    assert users and all(user.is_verified for user in users)
    printed = "\n".join(summary)
    for user in users:
        assert user.email in printed


def test_every_demo_object_has_its_creating_history_row(demo):
    database, _summary = demo
    checked = 0
    for cls in _audited_classes():
        table = cls.__tablename__
        ids = set(database.session.scalars(select(cls.id)))
        recorded = set(database.session.scalars(
            select(StateChange.object_id).where(StateChange.object_type == table, StateChange.from_state.is_(None))))
        assert ids <= recorded, f"{table}: {sorted(ids - recorded)[:5]} have no creating history row"
        checked += len(ids)
    assert checked > 50


def test_the_current_cycle_is_open_on_the_day_the_demo_is_loaded(demo):
    database, _summary = demo
    renca = database.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "renca"))
    cycle = database.session.scalar(select(Cycle).where(Cycle.jurisdiction_id == renca.id))
    now = clock.now()
    for kind in (PhaseKind.INTAKE, PhaseKind.TABLES, PhaseKind.CONSULTATION):
        assert accepting(cycle.phase(kind), now), kind


def test_past_plans_are_played_to_the_end_with_dated_history(demo):
    database, _summary = demo
    open_past = database.session.scalar(
        select(func.count(Phase.id)).join(Cycle).where(Cycle.code.in_(["PA3", "PA4"]),
                                                       Phase.state != PhaseState.CLOSED))
    assert open_past == 0
    fourth = database.session.scalar(select(Cycle).where(Cycle.code == "PA4"))
    intake = fourth.phase(PhaseKind.INTAKE)
    opened = database.session.scalar(select(StateChange).where(
        StateChange.object_type == "phase", StateChange.object_id == intake.id, StateChange.to_state == "OPEN"))
    assert opened.at == intake.opens_at


def test_a_second_load_changes_nothing_but_the_passwords(demo):
    database, _summary = demo
    before = database.session.scalar(select(func.count(StateChange.id)))
    summary = loader.load()
    assert database.session.scalar(select(func.count(StateChange.id))) == before
    assert any("already loaded" in line for line in summary)
