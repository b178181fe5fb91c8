"""Several threads at once, for the concurrency tests."""
import threading


def run_together(count, attempt, *, timeout=120):
    """Run `attempt(i)` for each i in range(count), each in a thread of its own, all released at
    the same moment by a barrier; (results, errors). An exception raised in a thread is collected
    in `errors`: it would otherwise vanish with the thread."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        try:
            barrier.wait(timeout=60)
            results[i] = attempt(i)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors


REFUSED = "refused"


def committed_or_refused(app, db, work):
    """`work()` as one request's unit of work, in an app context (and so a session) of its own,
    committed; its result, or REFUSED when SQLite refused it as a second writer whose read went
    stale ("database is locked"), in which case nothing of it stays."""
    from sqlalchemy.exc import OperationalError

    with app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        except OperationalError:
            db.session.rollback()
            return REFUSED
        finally:
            db.session.remove()
