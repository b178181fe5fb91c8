"""bench/: the generator fills a database the pages read without error, and bench/run loads this
machine only. (The measurements themselves are bench/run's and bench/RESULTS.md's, not the suite's.)"""
import pytest
from sqlalchemy import func, select

import config
from bench import generate, run
from consulta import create_app
from consulta.accounts.models import User
from consulta.consultation import tally
from consulta.consultation.models import Comment
from consulta.core.audit import StateChange
from consulta.extensions import db
from consulta.proposals.models import Proposal, ReferenceCounter
from consulta.tables.models import Registration, WorkingTable


@pytest.fixture(scope="module")
def bench_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.db"
    app = create_app(config.TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SERVER_NAME=None)
    made = generate.generate(app, scale=0.001, out=lambda *_: None)
    yield app, made
    with app.app_context():
        db.engine.dispose()


def test_the_generator_makes_the_asked_counts_with_their_history_and_counters(bench_app):
    app, made = bench_app
    with app.app_context():
        def count(model, *where):
            return db.session.scalar(select(func.count()).select_from(model).where(*where))

        assert count(User, User.email.like(f"persona%@{generate.EMAIL_DOMAIN}")) == made["accounts"] == 200
        assert count(Proposal) == made["proposals"] == 100
        assert count(Comment) == made["comments"] == 1000
        assert count(Registration) == made["registrations"] == 50
        biggest = db.session.execute(select(func.count()).select_from(Comment).group_by(Comment.target_id)
                                     .order_by(func.count().desc()).limit(1)).scalar()
        assert biggest >= made["big_thread"] == 100
        assert db.session.scalar(select(ReferenceCounter.last_number)) == made["proposals"]
        assert db.session.scalar(select(func.sum(WorkingTable.seats_taken))) == made["registrations"]
        for model, kind in ((Proposal, "proposal"), (Comment, "comment"), (Registration, "registration")):
            recorded = count(StateChange, StateChange.object_type == kind, StateChange.from_state.is_(None))
            assert recorded == count(model), kind


def test_the_generated_term_index_is_the_one_the_service_writes(bench_app):
    from consulta.proposals.models import proposal_term
    from consulta.proposals.services import index_rows

    app, _made = bench_app
    with app.app_context():
        written = {tuple(row) for row in db.session.execute(select(
            proposal_term.c.cycle_id, proposal_term.c.term, proposal_term.c.proposal_id, proposal_term.c.weight))}
        expected = {(row["cycle_id"], row["term"], row["proposal_id"], row["weight"])
                    for proposal in db.session.scalars(select(Proposal)) for row in index_rows(proposal)}
    assert written == expected and len(written) > 100


def test_the_pages_bench_run_loads_answer_200_on_generated_data(bench_app):
    app, _made = bench_app
    client = app.test_client()
    for name, path in run.pages(app):
        response = client.get(path)
        assert response.status_code == 200, (name, path)
    last = dict(run.pages(app))["thread last"]
    assert 'class="comment"' in client.get(last).get_data(as_text=True)


def test_the_generator_fills_the_comment_tally_as_a_recount_of_its_rows(bench_app):
    app, made = bench_app
    with app.app_context():
        held = tally.tallied()
        assert held == tally.recounted() and sum(held.values()) == made["comments"]


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", "10.0.0.5", "example.org", "127.0.0.2"])
def test_bench_run_refuses_any_target_but_127_0_0_1(host, capsys):
    assert run.main(["--host", host, "--duration", "1"]) == 2
    assert "refuses" in capsys.readouterr().err
    with pytest.raises(run.Refused):
        run.check_host(host)
    assert run.check_host("127.0.0.1") == "127.0.0.1"
