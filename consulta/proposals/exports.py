"""The register as CSV, JSON and XLSX: the same rows (public fields only) in three formats.

Spreadsheets run a cell that starts with "=", "+", "-" or "@" as a formula: text that could be
read so is prefixed with an apostrophe in CSV and stored as text in XLSX.
"""
import csv
import io
import json

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _flat(value):
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(fields, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_inert(_flat(row[field])) for field in fields])
    # The byte-order mark makes spreadsheet programs read the accents right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(fields, rows, **about) -> bytes:
    document = {**about, "count": len(rows), "proposals": [{field: row[field] for field in fields} for row in rows]}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def to_xlsx(fields, rows, *, title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(list(fields))
    for row in rows:
        cells = []
        for field in fields:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", _flat(row[field])))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MIMETYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(fmt: str, fields, rows, *, title: str, **about) -> tuple[bytes, str]:
    """The rows in `fmt` (csv, json or xlsx), with its content type."""
    if fmt == "csv":
        body = to_csv(fields, rows)
    elif fmt == "json":
        body = to_json(fields, rows, **about)
    else:
        body = to_xlsx(fields, rows, title=title)
    return body, MIMETYPES[fmt]
