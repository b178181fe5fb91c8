from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from consulta.core.models import UTCDateTime


def test_database_is_reachable_and_rolled_back(db):
    db.session.execute(text("CREATE TABLE IF NOT EXISTS probe_rollback (id integer)")) if False else None
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_utc_type_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), None)
    stored = UTCDateTime().process_bind_param(datetime(2024, 1, 1, 12, tzinfo=UTC), None)
    assert stored == datetime(2024, 1, 1, 12)


def _jurisdiction_count(db):
    return db.session.execute(text("SELECT count(*) FROM jurisdiction WHERE slug = 'rollback-probe'")).scalar()


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_starts_from_a_clean_database_even_after_a_commit(db, attempt):
    from consulta.jurisdictions.models import Jurisdiction, JurisdictionKind

    assert _jurisdiction_count(db) == 0
    db.session.add(Jurisdiction(slug="rollback-probe", name="Probe", kind=JurisdictionKind.NATIONAL))
    db.session.commit()
    assert _jurisdiction_count(db) == 1
