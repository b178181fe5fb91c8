"""One interface for uploaded files, so that app servers keep no state of their own.

The default stores files in `UPLOAD_DIR`; a shared-storage backend only has to provide the same
three methods. The type of a file is decided by its content, never by its name or the browser.
"""
import os
import secrets
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


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    size: int
    original_name: str


def sniff(head: bytes) -> tuple[str, str] | None:
    """The (content type, extension) that the first bytes of a file reveal, or None."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
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
    kind = sniff(data[:16])
    if kind is None or kind[0] not in allowed:
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
