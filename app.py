"""Entry point: ``gunicorn app:app`` and ``flask --app app …``."""

import sys

from blood import create_app
from blood.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as refusal:
    # One clear line, not a traceback: the operator has something to set, nothing to debug.
    sys.exit(f"blood: {refusal}")
