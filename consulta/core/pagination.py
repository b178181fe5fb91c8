"""Server-side pagination, shared by every list page; templates show it with ui.html's `pagination`."""
from flask import request
from flask_sqlalchemy.pagination import Pagination

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


class _FromEitherEnd(Pagination):
    def _query_items(self) -> list:
        statement, reverse, total = (self._query_args[key] for key in ("statement", "reverse", "total"))
        offset = self._query_offset
        if offset >= total:
            return []
        if offset * 2 <= total:
            return list(db.session.scalars(statement.limit(self.per_page).offset(offset)))
        size = min(self.per_page, total - offset)
        rows = list(db.session.scalars(reverse.limit(size).offset(total - offset - size)))
        return rows[::-1]

    def _query_count(self) -> int:
        return self._query_args["total"]


class _ListPage(Pagination):
    def _query_items(self) -> list:
        return self._query_args["items"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: list, *, per_page: int = PER_PAGE):
    """`paginate()` for a list already in memory (computed groups, say): the page from `?page=`."""
    page = request.args.get("page", 1, type=int) or 1
    return _ListPage(page=min(max(page, 1), MAX_PAGE), per_page=min(per_page, MAX_PER_PAGE), error_out=False,
                     items=items)


def paginate_from_either_end(statement, reverse, *, total: int, per_page: int = PER_PAGE):
    """`paginate()` for a long list whose length is already known: a page in its second half is read
    from the far end (`reverse` is the same SELECT in the opposite order), so that skipping rows
    costs at most half the list and the last page costs what the first does."""
    page = request.args.get("page", 1, type=int) or 1
    return _FromEitherEnd(page=min(max(page, 1), MAX_PAGE), per_page=min(per_page, MAX_PER_PAGE), error_out=False,
                          statement=statement, reverse=reverse, total=total)
