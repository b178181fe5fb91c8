"""Entry point for `flask --app wsgi` and `gunicorn wsgi:app`."""
from consulta import create_app

app = create_app()
