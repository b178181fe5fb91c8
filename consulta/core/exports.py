"""Tables of records as CSV, JSON and XLSX: the one writer every domain's downloads use.

A table is its columns (`Column`: an English snake_case name and a description for the people who
read the data, defined once next to the rows) and its rows (dicts keyed by those names). CSV and JSON
are written row by row, so a large table streams; XLSX goes through openpyxl's write-only workbook,
which holds one row at a time, into a file that spills to disk when it grows.

Spreadsheets run a cell that starts with "=", "+", "-" or "@" as a formula: text that could be read
so is prefixed with an apostrophe in CSV and stored as text in XLSX.
"""
import csv
import enum
import io
import json
import tempfile
from datetime import date, datetime
from typing import NamedTuple

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMATS = ("csv", "json", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip": "application/zip"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Past this size a file being built moves from memory to a temporary file on disk.
SPOOL_BYTES = 8 * 1024 * 1024


class Column(NamedTuple):
    name: str
    description: str  # lazy text: translated when a page or a README shows it


def columns(*pairs) -> tuple[Column, ...]:
    return tuple(Column(name, description) for name, description in pairs)


def names(table_columns) -> tuple[str, ...]:
    return tuple(column.name for column in table_columns)


def _flat(value) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, date | datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    raise TypeError(f"{type(value).__name__} is not exportable")


def values(fields, rows):
    """Dict rows as lists of values in the order of `fields`."""
    return ([row[field] for field in fields] for row in rows)


# --- the three formats ---------------------------------------------------------------------------

def csv_lines(header, records):
    """UTF-8 CSV, one line at a time: `header` then each record (a sequence of values)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> bytes:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    # The byte-order mark makes spreadsheet programs read the accents right.
    yield "\ufeff".encode("utf-8") + line([str(name) for name in header])
    for record in records:
        yield line([_inert(_flat(value)) for value in record])


def json_chunks(fields, rows, *, key: str, **about):
    """A JSON document, one row at a time: `about`'s keys, the rows under `key`, then their count."""
    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False, default=_plain)

    head = "".join(f"  {dump(name)}: {dump(value)},\n" for name, value in about.items())
    yield f"{{\n{head}  {dump(key)}: [".encode("utf-8")
    count = 0
    for row in rows:
        yield f"{',' if count else ''}\n    {dump({field: row[field] for field in fields})}".encode("utf-8")
        count += 1
    yield f"\n  ],\n  \"count\": {count}\n}}\n".encode("utf-8")


def write_xlsx(header, records, out, *, title: str) -> None:
    """An XLSX workbook of one sheet into the binary file `out`; every cell is text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([str(name) for name in header])
    for record in records:
        cells = []
        for value in record:
            # Control characters typed into a text cannot be stored in a spreadsheet cell.
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", _flat(value)))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    book.save(out)


def xlsx_bytes(header, records, *, title: str) -> bytes:
    out = io.BytesIO()
    write_xlsx(header, records, out, title=title)
    return out.getvalue()


def spooled():
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def built(build, *, chunk_size: int = 64 * 1024):
    """Run `build(out)` into a temporary file, then give the file in pieces: for writers that seek in
    what they write (openpyxl), so they cannot write into a response or a ZIP member. The file is made
    when the first piece is asked for and closed at the end, however it ends."""
    with spooled() as out:
        build(out)
        out.seek(0)
        while chunk := out.read(chunk_size):
            yield chunk


def chunks(fmt: str, fields, rows, *, title: str, key: str, **about):
    """The rows in `fmt` (csv, json or xlsx) as pieces of bytes: CSV and JSON as the rows are read,
    XLSX once its sheet is built. `title` names the sheet, `key` the rows in JSON, beside `about`."""
    if fmt == "xlsx":
        return built(lambda out: write_xlsx(fields, values(fields, rows), out, title=title))
    if fmt == "csv":
        return csv_lines(fields, values(fields, rows))
    return json_chunks(fields, rows, key=key, **about)


def write(fmt: str, fields, rows, out, **options) -> None:
    """The rows in `fmt` into the binary file `out` (a ZIP member); options as for `chunks`."""
    for chunk in chunks(fmt, fields, rows, **options):
        out.write(chunk)


# --- responses -----------------------------------------------------------------------------------

def attachment(filename: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def download(fmt: str, fields, rows, *, filename: str, **options) -> Response:
    """A download of the rows in `fmt`, streamed as it is written; options as for `chunks`."""
    return Response(stream_with_context(chunks(fmt, fields, rows, **options)), mimetype=MIMETYPES[fmt],
                    headers=attachment(filename))
