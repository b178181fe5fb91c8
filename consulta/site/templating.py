"""Template filters and globals shared by every page."""
from flask_login import current_user

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
