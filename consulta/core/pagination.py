"""Server-side pagination, shared by every list page; templates show it with ui.html's `pagination`."""
from flask import request

from consulta.extensions import db

PER_PAGE = 20
MAX_PER_PAGE = 100
# Beyond any real list; it keeps a forged ?page= from overflowing the database's OFFSET.
MAX_PAGE = 100_000


def paginate(statement, *, per_page: int = PER_PAGE):
    """One page of a SELECT, the page number taken from `?page=` (junk or out of range: page 1 or empty).

    Returns Flask-SQLAlchemy's Pagination: `items`, `page`, `pages`, `total`, `has_prev`, `has_next`…
    """
    page = request.args.get("page", 1, type=int) or 1
    return db.paginate(statement, page=min(max(page, 1), MAX_PAGE), per_page=min(per_page, MAX_PER_PAGE),
                       error_out=False, count=True)
