"""Settings read from the environment so that one build serves a laptop demo and production.

``RASAD_DATABASE_URL`` picks the database (SQLite under ``var/`` by default, or
``postgres://…``); ``RASAD_DEBUG=1`` turns debugging on; ``RASAD_VAR_DIR`` moves the
writable state (database, secret key, uploaded files).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

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
    "ninja",  # serves Swagger UI's JS/CSS itself: /api/docs works with no internet
    "rasad.platform.api",
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
        "DIRS": [],
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
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                        "PRAGMA cache_size=-262144; PRAGMA read_uncommitted=1;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# One cache for every worker of the server (files under var/): a ranking page rendered
# by one worker is served by all of them. With a cache per process, each of the four
# workers rendered every filtered Top-100 itself (about a sixth of the server's time
# under load, see BENCHMARKS.md). Keys name the frozen edition or the data state they
# were built from, so nothing stale is read after a write.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}

# Sessions are read from that shared cache (the database stays their record): one
# query less on every page of a signed-in user; a logout, which deletes the session,
# is seen by every worker at once.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even when it serves from finders
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Serve straight from the package directories, so a fresh checkout needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# `make run` sets this so the login page lists the demo accounts; never set it in production.
RASAD_SHOW_DEMO_LOGINS = os.environ.get("RASAD_SHOW_DEMO_LOGINS") == "1"

# A forged, missing or expired CSRF token: the site's 403 page in the reader's language.
CSRF_FAILURE_VIEW = "rasad.platform.web.errors.csrf_failure"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if os.environ.get("RASAD_HTTPS") == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RASAD_LOG_LEVEL", "WARNING")},
}

# The largest file the upload page accepts (bytes); checked while the file streams in.
RASAD_UPLOAD_MAX_BYTES = int(os.environ.get("RASAD_UPLOAD_MAX_BYTES", 50 * 2**20))

# Which period a page, a command or the API shows when none is named: the latest whose
# returns cover this share of the enterprises expected to file, or, once its deadline
# has passed, the smaller share after it (docs/monitoring.md, "Which period is shown").
RASAD_PERIOD_MIN_COVERAGE = float(os.environ.get("RASAD_PERIOD_MIN_COVERAGE", "0.5"))
RASAD_PERIOD_MIN_COVERAGE_AFTER_DEADLINE = float(os.environ.get("RASAD_PERIOD_MIN_COVERAGE_AFTER_DEADLINE", "0.25"))
# An edition whose returns cover less than this share of the enterprises expected to
# file is thin: computing it needs an explicit override, and it cannot be published.
RASAD_EDITION_MIN_COVERAGE = float(os.environ.get("RASAD_EDITION_MIN_COVERAGE", "0.5"))
# How many years old a firm's figure may be and still stand in for a later year's in the
# cluster pages and `rasad clusters` (rasad.clusters.firm_figures' max_age): 1 lets a 1402
# figure stand for 1403, not a 1401 one; 0 counts only the year's own returns.
RASAD_CARRY_FORWARD_YEARS = int(os.environ.get("RASAD_CARRY_FORWARD_YEARS", "1"))
if RASAD_CARRY_FORWARD_YEARS < 0:
    raise ValueError(f"RASAD_CARRY_FORWARD_YEARS must be 0 or more, not {RASAD_CARRY_FORWARD_YEARS}")

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
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before the password is checked
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
    raise ValueError("RASAD_PROXY_COUNT must be 0 or more, RASAD_LOGIN_FAILURE_LIMIT 1 or more and "
                     "RASAD_LOGIN_COOLOFF_MINUTES more than 0")
