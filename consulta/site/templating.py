"""Template filters and globals shared by every page, and the indentation pages leave behind."""
import re

from flask_login import current_user
from jinja2.ext import Extension

from consulta.core import i18n
from consulta.core.permissions import can


def init_templating(app):
    app.jinja_env.filters["local_dt"] = i18n.local_datetime
    app.jinja_env.filters["local_date"] = i18n.local_date
    app.jinja_env.globals.update(
        can=lambda action, obj=None: can(current_user, action, obj),
        current_language=i18n.current_language,
        switch_language_url=i18n.switch_language_url,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.add_extension(DedentHtml)


class DedentHtml(Extension):
    """HTML templates lose their indentation when compiled: it helps people reading a template, not the
    phone downloading the page (it was a third of the tracker's bytes). Only lines that begin with
    markup or a template tag are touched, so a text that runs over several lines inside a tag keeps
    its spaces; emails (.txt) and feeds are left as written. No template has <pre> or a literal
    <textarea> text, whose spaces would matter."""

    _indented_markup = re.compile(r"^[ \t]+(?=[<{])", re.MULTILINE)

    def preprocess(self, source, name, filename=None):
        if name and name.endswith(".html"):
            return self._indented_markup.sub("", source)
        return source
