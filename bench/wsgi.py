"""consulta as bench/run serves it: the normal app, plus the number of SQL statements each request
ran in an `X-SQL-Statements` header. The counter exists only in this entry point, never in wsgi.py."""
from flask import g, has_request_context
from sqlalchemy import event

from consulta import create_app
from consulta.extensions import db

HEADER = "X-SQL-Statements"

app = create_app()


def _count(conn, cursor, statement, parameters, context, executemany):
    if has_request_context():
        g.sql_statements = g.get("sql_statements", 0) + 1


@app.after_request
def _report(response):
    response.headers[HEADER] = str(g.get("sql_statements", 0))
    return response


with app.app_context():
    event.listen(db.engine, "before_cursor_execute", _count)
