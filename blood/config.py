"""Configuration defaults.

Order of precedence (last wins): these defaults, ``instance/config.py``, ``BLOOD_*``
environment variables (``BLOOD_DATABASE_URL`` sets ``DATABASE_URL``; values are parsed as
JSON when they can be, so ``BLOOD_LOGIN_FREE_FAILURES=5`` is an int), then the ``test_config``
mapping passed to ``create_app``.
"""

from __future__ import annotations

import os

from flask import Flask

# Placeholders that are fine on a developer's laptop and refused in production.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
DEV_PII_KEY = "dev-only-pii-key-do-not-use-in-production"


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set (one line)."""


class Defaults:
    # "production" (default: safe), "development" (what `make run` uses) or "testing".
    ENV = "production"

    SECRET_KEY: str | None = None
    # Key for the keyed hashes and encryption of personal identifiers (resident ID, phone,
    # patient number). Losing it makes stored identifiers unsearchable and unrecoverable.
    PII_KEY: str | None = None

    # None means the embedded SQLite file instance/blood.sqlite3.
    DATABASE_URL: str | None = None
    DATABASE_POOL_SIZE = 5
    DATABASE_ECHO = False

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    # Languages offered in the UI; the first is the fallback.
    LANGUAGES = ["zh_CN", "en"]
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    DEFAULT_TIMEZONE = "Asia/Shanghai"

    # Login throttling: per-IP rate limit (Flask-Limiter) and per-account lock-out.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"
    # Failed log-ins of one user name from one address before growing delays (1 s, 2 s, 4 s …,
    # at most LOGIN_DELAY_MAX_SECONDS) apply to that pair only.
    LOGIN_FREE_FAILURES = 5
    LOGIN_DELAY_MAX_SECONDS = 900
    PASSWORD_HASH_METHOD = "scrypt"

    # API (flask-smorest).
    API_TITLE = "blood"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served by blood itself from the swagger-ui-bundle package: no CDN.
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/static/"

    # How long an Idempotency-Key is remembered (a retry comes within minutes or hours).
    IDEMPOTENCY_KEY_RETENTION_DAYS = 30

    # The scheduler process (`flask --app app blood scheduler`, blood.supervision.scheduler),
    # read when it starts. Intervals in seconds; local times "HH:MM" in each authority's zone.
    SCHEDULER_INDICATORS_SECONDS = 15 * 60  # today's indicators, then alert evaluation
    SCHEDULER_EXPIRY_SECONDS = 15 * 60  # expiry sweep
    SCHEDULER_DELIVERY_SECONDS = 60  # outbox delivery
    SCHEDULER_CALENDAR_SECONDS = 60  # how often daily/weekly/monthly work is checked for
    SCHEDULER_FINAL_RUN_AT = "00:10"  # yesterday's final indicators, after local midnight
    SCHEDULER_SUMMARY_AT = "06:00"  # daily, weekly (Monday), monthly (1st) summaries
    SCHEDULER_MISFIRE_GRACE_SECONDS = 300
    SCHEDULER_LOCK_RETRY_SECONDS = 5  # a standby tries to take the lead this often
    SCHEDULER_LOCK_CHECK_SECONDS = 5  # the leader checks it still holds the lock this often
    SCHEDULER_WORKERS = 4  # jobs run at the same time (each job at most once)

    # Header carrying a caller-chosen request id (echoed back, recorded in the audit log).
    REQUEST_ID_HEADER = "X-Request-ID"


def load(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("BLOOD")
    if test_config:
        app.config.from_mapping(test_config)

    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "blood.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"

    env = app.config["ENV"]
    if env not in ("production", "development", "testing"):
        raise ConfigurationError(
            f"BLOOD_ENV must be production, development or testing, not {env!r}"
        )
    if env == "production":
        _refuse_default_secrets(app)
    else:
        app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or DEV_SECRET_KEY
        app.config["PII_KEY"] = app.config.get("PII_KEY") or DEV_PII_KEY
        # Development and tests run on plain http://127.0.0.1.
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False


def _refuse_default_secrets(app: Flask) -> None:
    missing = [
        name
        for name, dev_value in (("SECRET_KEY", DEV_SECRET_KEY), ("PII_KEY", DEV_PII_KEY))
        if not app.config.get(name) or app.config[name] == dev_value or len(app.config[name]) < 32
    ]
    if missing:
        names = ", ".join(f"BLOOD_{name}" for name in missing)
        raise ConfigurationError(
            f"refusing to start in production without real secrets: set {names} "
            "(at least 32 random characters each) in the environment or in "
            f"{app.instance_path}/config.py — `make run` writes one — or set "
            "BLOOD_ENV=development on a developer machine"
        )
