"""Settings shared by every environment; each value that differs per machine comes
from the environment (12-factor), the rest is fixed here."""

import datetime
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    "auditreg",
    "systems",
    "budgets",
    "findings",
    "imports",
    "jobs",
    "django_tasks",
    "django_tasks.backends.database",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "auditreg.middleware.FormKeepingLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "auditreg.middleware.IdleTimeoutMiddleware",
    "auditreg.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out accounts and addresses first
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout (django-axes): after 5 failures an account is locked, and so is the address it came
# from, each on its own, for 30 minutes; an admin unlocks earlier (管理 → Axes, or `axes_reset`).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address lockout counts by. TRUSTED_PROXY_COUNT is the number of reverse proxies in front of
# gunicorn, each appending the address it saw to X-Forwarded-For (the kit's nginx: 1). Then the address is
# the one the proxies appended (counted from the right, django-ipware), so whatever a client writes into
# that header itself is ignored; 0 means no proxy, REMOTE_ADDR only, and the header is never read.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))


def client_address_settings(proxy_count: int) -> dict:
    """The django-axes / django-ipware settings for `proxy_count` proxies in front of gunicorn."""
    if proxy_count <= 0:
        return {"AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",), "AXES_IPWARE_PROXY_COUNT": None}
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
        "AXES_IPWARE_PROXY_COUNT": proxy_count - 1,  # ipware counts the proxies listed before the last one
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        "IPWARE_STRICT": False,  # a client's own entries on the left lengthen the chain; its right end holds
    }


globals().update(client_address_settings(TRUSTED_PROXY_COUNT))
AXES_VERBOSE = False

# Directory login (Active Directory / OpenLDAP), off unless LDAP_URL is set: auditreg.directory explains
# how groups and OUs become role and section. Local accounts keep working beside it (admin, fallback).
LDAP_AUTH_URL = env_list("LDAP_URL")  # e.g. ldaps://dc1.city.local,ldaps://dc2.city.local
if LDAP_AUTH_URL:
    AUTHENTICATION_BACKENDS.insert(1, "auditreg.directory.DirectoryBackend")
LDAP_AUTH_USE_TLS = env_bool("LDAP_START_TLS", False)
LDAP_AUTH_SEARCH_BASE = os.environ.get("LDAP_USER_BASE", "")
LDAP_AUTH_OBJECT_CLASS = os.environ.get("LDAP_USER_OBJECT_CLASS", "inetOrgPerson")  # AD: user
LDAP_AUTH_USER_FIELDS = {
    "username": os.environ.get("LDAP_USERNAME_ATTRIBUTE", "uid"),  # AD: sAMAccountName
    "first_name": "givenName",
    "last_name": "sn",
    "email": "mail",
}
LDAP_AUTH_ACTIVE_DIRECTORY_DOMAIN = os.environ.get("LDAP_AD_DOMAIN") or None  # AD: binds as user@domain
LDAP_AUTH_CONNECTION_USERNAME = os.environ.get("LDAP_BIND_DN") or None  # read-only service account
LDAP_AUTH_CONNECTION_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD") or None
LDAP_AUTH_FORMAT_USERNAME = "auditreg.directory.format_username"
LDAP_AUTH_CLEAN_USER_DATA = "auditreg.directory.clean_user_data"
LDAP_AUTH_TLS_VERSION = None  # ldap3 then uses Python's default context (current protocols and ciphers)
LDAP_AUTH_TLS_CIPHERS = None


def ldap_tls_settings(ca_file: str | None) -> dict:
    """Certificates are verified, for ldaps:// and StartTLS alike (ldap3 alone would not check them);
    `ca_file` is the CA of the domain controllers, or None for the system's CA store."""
    import ssl

    import ldap3

    args = {"validate": ssl.CERT_REQUIRED, "ca_certs_file": ca_file}
    return {"LDAP_AUTH_TLS_ARGS": args, "LDAP_AUTH_CONNECT_ARGS": {"tls": ldap3.Tls(**args)}}


if LDAP_AUTH_URL:
    globals().update(ldap_tls_settings(os.environ.get("LDAP_CA_FILE") or None))
LDAP_AUTH_CONNECT_TIMEOUT = 5
LDAP_AUTH_RECEIVE_TIMEOUT = 10
AUDITREG_LDAP_GROUP_BASE = os.environ.get("LDAP_GROUP_BASE", "")
AUDITREG_LDAP_AUDITOR_GROUP = os.environ.get("LDAP_AUDITOR_GROUP", "")  # group DN → 監査事務局
AUDITREG_LDAP_SECTION_HEAD_GROUP = os.environ.get("LDAP_SECTION_HEAD_GROUP", "")  # group DN → 所管課長

# Content Security Policy (django-csp): no inline script anywhere, everything from this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "auditreg.urls"
WSGI_APPLICATION = "auditreg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "auditreg.views.city_settings",
                "auditreg.context_processors.session",
                "auditreg.context_processors.can",
                "systems.context_processors.systems_menu",  # the menu shows 情報システム only where a report has one
                "budgets.context_processors.budgets_menu",
            ],
            "builtins": ["auditreg.templatetags.wareki"],
        },
    },
]

# SQLite file by default (zero-setup first run); PostgreSQL whenever DATABASE_URL says so.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The zero-setup server and its job worker write the same file. A deferred transaction that turns into
    # a write while the other process writes fails at once with "database is locked" (SQLite does not
    # wait then); IMMEDIATE takes the write lock up front and waits for it, WAL lets readers go on.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per-process memory caches. "dashboard": the audit office dashboard, keyed by a version the database changes
# on every write to what it shows (findings.dashboard_cache), so each gunicorn worker's own copy is correct
# and no shared cache server is needed; a few entries (one per date × choice of reports) of ~0.1-1 MB.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "auditreg-default"},
    "dashboard": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "auditreg-dashboard",
        "OPTIONS": {"MAX_ENTRIES": 32},
    },
}

AUTH_USER_MODEL = "auditreg.User"
LOGIN_URL = "login"
LOGIN_URL_PATH = "/login/"
LOGIN_REDIRECT_URL = "home"  # each role's start page (auditreg.views.home_view)
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False  # amounts are formatted explicitly with their unit

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))

# Evidence files live outside any URL-served folder; only a view that checks access sends them.
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT", BASE_DIR / "var" / "evidence"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "var" / "media"},
    },
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EVIDENCE_ROOT, "base_url": None},
    },
    "publications": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": Path(os.environ.get("PUBLICATION_ROOT", BASE_DIR / "var" / "publications")),
            "base_url": None,
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background jobs (jobs/): django-tasks' database backend, so no extra server; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
# A download of the 措置状況 is rendered in the request up to this many rows, beyond it as a background job.
# Measured on 2 cores: CSV ~0.01 ms/row, xlsx ~0.15 ms/row, PDF > 1 s already at 33 rows (so always a job).
EXPORT_SYNC_MAX_ROWS = {"csv": 20000, "xlsx": 2000, "pdf": 0}

# Uploads are refused above these sizes (bytes) before Django buffers them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# A session ends after 30 minutes without a request (auditreg.middleware.IdleTimeoutMiddleware),
# after 8 hours in any case, and when the browser closes.
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The report bundle imported by `run` and the tests.
REPORT_FIXTURE_DIR = BASE_DIR / "fixtures" / "kanazawa-2024-dx"

# Defaults of the 前文 printed above a published 措置状況 when the form leaves a field empty. The
# city's own names are data: set them in the environment (names separated by commas).
STATUS_REPORT_PREAMBLE = {
    "legal_basis": os.environ.get("PREAMBLE_LEGAL_BASIS", "地方自治法（昭和22年法律第67号）第252条の38第6項"),
    "notifier": os.environ.get("PREAMBLE_NOTIFIER", ""),
    "commissioners": env_list("PREAMBLE_COMMISSIONERS"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django_python3_ldap": {"level": "WARNING"},
    },
}

# Mail: console by default; SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "auditreg@localhost")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
