"""One interface for uploaded files, so that app servers keep no state of their own.

The default stores files in `UPLOAD_DIR`; a shared-storage backend only has to provide the same
three methods. The type of a file is decided by its content, never by its name or the browser.
"""
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from consulta.core.errors import DomainError

# Signatures of the types consulta accepts, by their first bytes.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
IMAGE_AND_PDF = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
# Office documents are ZIP files; what is inside tells them apart. Office Open XML names its main
# part's type in [Content_Types].xml (a macro-enabled .docm/.xlsm names another type: refused);
# OpenDocument keeps its type, uncompressed, in a first member called "mimetype".
OOXML_MAIN_PARTS = (
    (b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", DOCX, "docx"),
    (b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", XLSX, "xlsx"),
)
OPENDOCUMENT_TYPES = {ODT.encode(): (ODT, "odt"), ODS.encode(): (ODS, "ods")}
OFFICE_DOCUMENTS = frozenset({DOCX, XLSX, ODT, ODS})
# The members read to type a ZIP are small; a larger one is not what it claims to be.
ZIP_MEMBER_MAX = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    size: int
    original_name: str


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > ZIP_MEMBER_MAX:
        return None
    with archive.open(info) as member:
        return member.read(ZIP_MEMBER_MAX)


def _sniff_office(data: bytes) -> tuple[str, str] | None:
    """The office document (DOCX, XLSX, ODT, ODS) a ZIP file is, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            mimetype = _read_member(archive, "mimetype")
            if mimetype is not None:
                return OPENDOCUMENT_TYPES.get(mimetype.strip())
            content_types = _read_member(archive, "[Content_Types].xml") or b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        return None
    return next(((content_type, extension) for main_part, content_type, extension in OOXML_MAIN_PARTS
                 if main_part in content_types), None)


def sniff(data: bytes) -> tuple[str, str] | None:
    """The (content type, extension) that a file's content reveals, or None. The first bytes are
    enough for PDF and images; a ZIP is opened to see which office document it is."""
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for signature, content_type, extension in SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    if data.startswith(b"PK\x03\x04"):
        return _sniff_office(data)
    return None


class LocalStorage:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise FileNotFoundError(key)
        return self.root / key

    def write(self, key: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self._path(key).with_suffix(".part")
        temporary.write_bytes(data)
        os.replace(temporary, self._path(key))

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FileNotFoundError:
            return False


def backend() -> LocalStorage:
    return LocalStorage(current_app.config["UPLOAD_DIR"])


def store(upload, *, allowed=IMAGE_AND_PDF, max_bytes: int, field: str = "attachments") -> StoredFile:
    """Check an uploaded file (a werkzeug FileStorage) by content and size, and store it."""
    name = os.path.basename(upload.filename or "")[:200] or "file"
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(field, _("%(name)s is larger than %(size)s MB.", name=name,
                                   size=round(max_bytes / 1024 / 1024, 1)))
    if not data:
        raise DomainError(field, _("%(name)s is empty.", name=name))
    kind = sniff(data)
    if kind is None or kind[0] not in allowed:
        if allowed & OFFICE_DOCUMENTS:
            raise DomainError(field, _("%(name)s is not an accepted type of file (PDF, image or office document).",
                                       name=name))
        raise DomainError(field, _("%(name)s is not an accepted type of file (PDF or image).", name=name))
    content_type, extension = kind
    key = f"{secrets.token_hex(16)}.{extension}"
    backend().write(key, data)
    return StoredFile(key=key, content_type=content_type, size=len(data), original_name=name)


def serve(stored: StoredFile, *, inline: bool = False):
    """Send a stored file with its sniffed type; attachments unless an image is shown inline."""
    from io import BytesIO

    try:
        data = backend().read(stored.key)
    except FileNotFoundError:
        from flask import abort

        abort(404)
    response = send_file(BytesIO(data), mimetype=stored.content_type,
                         as_attachment=not inline, download_name=stored.original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
