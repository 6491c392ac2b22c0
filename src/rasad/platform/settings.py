"""Settings read from the environment so that one build serves a laptop demo and production.

``RASAD_DATABASE_URL`` picks the database (SQLite under ``var/`` by default, or
``postgres://…``); ``RASAD_DEBUG=1`` turns debugging on; ``RASAD_VAR_DIR`` moves the
writable state (database, secret key, uploaded files); ``RASAD_REDIS_URL`` and
``RASAD_S3_BUCKET`` move the state that several app servers share (docs/deploy.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from rasad.platform import shared_state

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("RASAD_VAR_DIR", Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    """Generate the key once per installation and keep it beside the database, never in git."""
    if key := os.environ.get("RASAD_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("RASAD_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("RASAD_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rasad.platform.accounts",
    "rasad.platform.registry",
    "rasad.platform.returns",
    "rasad.platform.rankings",
    "rasad.platform.web",
    "rasad.platform.public",
    "rasad.platform.monitoring",
    "rasad.platform.clusters_web",
    "rasad.platform.reports",
    "rasad.platform.notifications",
    "ninja",  # serves Swagger UI's JS/CSS itself: /api/docs works with no internet
    "rasad.platform.api",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rasad.platform.web.middleware.PersianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rasad.platform.urls"
WSGI_APPLICATION = "rasad.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' folders, so that admin/base_site.html there overrides the admin's.
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("RASAD_DATABASE_URL", f"sqlite:///{VAR_DIR / 'rasad.sqlite3'}"),
        conn_max_age=int(os.environ.get("RASAD_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers continue while an import writes; the timeout rides out short locks.
    # read_uncommitted matters only to connections sharing one cache, as the in-memory
    # test database's do (a job's thread beside the test server's): their readers then
    # take no table locks, which would fail a writer at once ("database table is
    # locked") instead of letting it wait. A database file has no shared cache.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-262144; PRAGMA read_uncommitted=1;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# --- Shared state: cache, sessions, uploads (rasad.platform.shared_state, docs/deploy.md) ---
# One server keeps them on its disk: a file cache under var/cache (one for all of its
# workers) and uploads under var/media. With RASAD_REDIS_URL the cache is Redis, and with
# RASAD_S3_BUCKET the uploads go to an S3-compatible store, so that no app server needs
# another's disk. Cache keys name the frozen edition or the data state they were built
# from, so nothing stale is read after a write, whichever server wrote.
CACHES = shared_state.caches(os.environ, VAR_DIR)
# Sessions are read from that shared cache and written to the database too (their
# record): one query less on every page of a signed-in user; a logout, which deletes the
# session, is seen by every worker at once; and a Redis that restarts empty, or evicts
# keys when full, logs no one out (plain "cache" sessions would).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
STORAGES = {
    "default": shared_state.default_storage(os.environ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# --- end of shared state ---

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(
    parents=True, exist_ok=True
)  # WhiteNoise expects it even when it serves from finders
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Serve straight from the package directories, so a fresh checkout needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# `make run` sets this so the login page lists the demo accounts; never set it in production.
RASAD_SHOW_DEMO_LOGINS = os.environ.get("RASAD_SHOW_DEMO_LOGINS") == "1"

# A forged, missing or expired CSRF token: the site's 403 page in the reader's language.
CSRF_FAILURE_VIEW = "rasad.platform.web.errors.csrf_failure"

# --- Security (issue 16): passwords, HTTPS, Content-Security-Policy, NUL, dropped connections -
# One block, so that it reads (and merges) as one; `rasad manage check --deploy` with
# RASAD_HTTPS=1 and a real RASAD_SECRET_KEY reports nothing (tests/platform/test_security.py).

# Passwords: at least 10 characters, not all digits, not a common one, not the username.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A connection the database (or a proxy in front of it) dropped while idle is noticed
# at the start of the next request and replaced, instead of failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# A NUL character in the address, a query parameter or a form field: 400, before any
# view (PostgreSQL refuses NUL in text). After the session and the user are known, so
# that the 400 page has the site's layout in the reader's language.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "rasad.platform.web.middleware.RejectNulMiddleware",
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if os.environ.get("RASAD_HTTPS") == "1":  # behind a TLS-terminating proxy (docs/deploy.md)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True  # a request the proxy passed as plain HTTP is sent to https://
    # Browsers keep to HTTPS for a year after a visit. Not for subdomains: the ministry's
    # domain may serve other sites, some still on plain HTTP, that this platform's
    # operator does not answer for; and no preload, which is hard to undo and is the
    # domain owner's decision (hstspreload.org needs includeSubDomains too). Both
    # deliberate, so check --deploy's reminders of them are silenced.
    SECURE_HSTS_SECONDS = int(os.environ.get("RASAD_HSTS_SECONDS", 31_536_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_HSTS_PRELOAD = False
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Content-Security-Policy (django-csp): scripts only from this site's own files, no
# inline script, no eval, no plugins, no framing, forms post only here. Every page's JS
# is a static file (rankings.js, Swagger UI's swagger-ui-init.js); data reaches scripts
# through data-* attributes or a <script type="application/json"> block, which is data,
# not script. Styles allow inline style attributes ('unsafe-inline'): the bars and charts
# take their sizes from style="--w:…" custom properties computed per row, the admin's
# change list has a <style> block and Swagger UI sets styles inline. A hash per value is
# not workable for data-driven sizes, and an injected style cannot run script; Django's
# autoescaping keeps user text out of attributes in the first place.
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # Swagger UI's icons are data: URIs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],  # the job progress poll, Swagger UI's "try it out"
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# --- end of the security block ------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RASAD_LOG_LEVEL", "WARNING")},
}

# The largest file the upload page accepts (bytes); checked while the file streams in.
RASAD_UPLOAD_MAX_BYTES = int(os.environ.get("RASAD_UPLOAD_MAX_BYTES", 50 * 2**20))
# An upload larger than this (bytes) is checked and imported by a worker process
# (`rasad worker`), not by the request: rasad.platform.returns.import_jobs.
RASAD_IMPORT_INLINE_MAX_BYTES = int(os.environ.get("RASAD_IMPORT_INLINE_MAX_BYTES", 2**20))

# Which period a page, a command or the API shows when none is named: the latest whose
# returns cover this share of the enterprises expected to file, or, once its deadline
# has passed, the smaller share after it (docs/monitoring.md, "Which period is shown").
RASAD_PERIOD_MIN_COVERAGE = float(os.environ.get("RASAD_PERIOD_MIN_COVERAGE", "0.5"))
RASAD_PERIOD_MIN_COVERAGE_AFTER_DEADLINE = float(
    os.environ.get("RASAD_PERIOD_MIN_COVERAGE_AFTER_DEADLINE", "0.25")
)
# An edition whose returns cover less than this share of the enterprises expected to
# file is thin: computing it needs an explicit override, and it cannot be published.
RASAD_EDITION_MIN_COVERAGE = float(os.environ.get("RASAD_EDITION_MIN_COVERAGE", "0.5"))
# How many years old a firm's figure may be and still stand in for a later year's in the
# cluster pages and `rasad clusters` (rasad.clusters.firm_figures' max_age): 1 lets a 1402
# figure stand for 1403, not a 1401 one; 0 counts only the year's own returns.
RASAD_CARRY_FORWARD_YEARS = int(os.environ.get("RASAD_CARRY_FORWARD_YEARS", "1"))
if RASAD_CARRY_FORWARD_YEARS < 0:
    raise ValueError(
        f"RASAD_CARRY_FORWARD_YEARS must be 0 or more, not {RASAD_CARRY_FORWARD_YEARS}"
    )

# Background work (edition computations, their uncertainty and sensitivity analyses) runs
# in worker processes (`rasad worker`), never in the web server's: a queue in the
# database (the django-tasks backport of Django's tasks framework, database backend),
# the same on SQLite and PostgreSQL; docs/deploy.md argues the choice.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Into how many parts an edition's Monte Carlo runs are split, for that many workers to
# share (1: the job's worker computes them all); results are the same either way.
RASAD_REPLICATE_CHUNKS = int(os.environ.get("RASAD_REPLICATE_CHUNKS", "1"))

# --- Email (issue 18: notifications, sent by `rasad worker` and `rasad notify`) ----------
# RASAD_EMAIL_HOST set: SMTP through it (RASAD_EMAIL_PORT, RASAD_EMAIL_USER,
# RASAD_EMAIL_PASSWORD, RASAD_EMAIL_TLS=1 for STARTTLS or RASAD_EMAIL_SSL=1). Otherwise
# each email is written to a file under RASAD_EMAIL_DIR (var/mail by default), or
# printed with RASAD_EMAIL_DIR=- (console). docs/deploy.md.
if EMAIL_HOST := os.environ.get("RASAD_EMAIL_HOST", ""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("RASAD_EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("RASAD_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("RASAD_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("RASAD_EMAIL_TLS") == "1"
    EMAIL_USE_SSL = os.environ.get("RASAD_EMAIL_SSL") == "1"
    EMAIL_TIMEOUT = 30
elif os.environ.get("RASAD_EMAIL_DIR") == "-":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ.get("RASAD_EMAIL_DIR", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("RASAD_EMAIL_FROM", "rasad@localhost")
# The site's address as its users reach it: the links in emails start with it.
RASAD_SITE_URL = os.environ.get("RASAD_SITE_URL", "http://127.0.0.1:8000")

# --- Login throttling and lockout (issue 16; django-axes) -------------------------------
# After RASAD_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that
# username is refused from that address, the right password too, for
# RASAD_LOGIN_COOLOFF_MINUTES after the last counted failure. The pair, not the address
# alone: many people of an estate or a ministry share one NAT address, and one of them
# mistyping must not lock out the others; nor the username alone, which would let anyone
# lock anyone out. Attempts made while locked out are not counted (the password is not
# even checked), so the owner retrying does not keep the lockout going. A successful
# login clears the pair's failures. The API's bearer tokens are throttled per address
# with the same limit and cool-off (rasad.platform.accounts.throttle).
#
# The address is REMOTE_ADDR unless RASAD_PROXY_COUNT (default 0) says how many proxies
# of ours stand in front of the app, each appending to X-Forwarded-For. RASAD_HTTPS=1 is
# not taken to mean that: it says TLS ends before the app, not how many proxies append to
# the header or whether the app can be reached around them, and trusting a header the
# client wrote lets an attacker name a fresh address for every guess and never be
# locked out. Behind a proxy with RASAD_PROXY_COUNT unset every client shares the
# proxy's address: the lockout still stops guessing, but a locked account is locked for
# everyone, and the token throttle is shared by all API clients, so set it.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out pair before the password is checked
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
RASAD_PROXY_COUNT = int(os.environ.get("RASAD_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = int(os.environ.get("RASAD_LOGIN_FAILURE_LIMIT", "20"))
# in hours, as a float (axes reads an int as whole hours)
AXES_COOLOFF_TIME = float(os.environ.get("RASAD_LOGIN_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "rasad.platform.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "rasad.platform.web.errors.locked_out"
if RASAD_PROXY_COUNT < 0 or AXES_FAILURE_LIMIT < 1 or not AXES_COOLOFF_TIME > 0:
    raise ValueError(
        "RASAD_PROXY_COUNT must be 0 or more, RASAD_LOGIN_FAILURE_LIMIT 1 or more and "
        "RASAD_LOGIN_COOLOFF_MINUTES more than 0"
    )
