"""The one sanitiser for user-written rich text.

Everything a person writes is escaped by the templates; text that keeps some formatting goes
through `clean_html` first, and only its result may be marked safe.
"""
import bleach
from markupsafe import escape
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _safe_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key not in attrs:
        return attrs
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[lambda source: LinkifyFilter(source, callbacks=[_safe_rel], skip_tags={"code"})],
)


def clean_html(text: str | None) -> str:
    """Allowlisted formatting only; links get rel="nofollow noopener"; scripts, handlers, styles
    and javascript:/data: URLs are dropped."""
    if not text:
        return ""
    return _cleaner.clean(text).strip()


def plain_paragraphs(text: str | None) -> str:
    """Plain text with line breaks, as safe HTML paragraphs (for fields written without markup)."""
    if not text:
        return ""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    escaped = (str(escape(block)).replace("\n", "<br>") for block in blocks if block)
    return "".join(f"<p>{block}</p>" for block in escaped)
