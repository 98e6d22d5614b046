"""Entry point: ``gunicorn app:app`` and ``flask --app app …``."""

from blood import create_app

app = create_app()
