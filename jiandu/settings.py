"""Django settings for Jiandu.

Everything a deployment may change comes from an environment variable; docs/operations.md lists
them with their defaults. Defaults are those of a single machine: SQLite and files in
JIANDU_DATA_DIR, tasks in the database.
"""

import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from jiandu.conf import data_dir, env_bool, env_int, env_list, env_str, read_or_create_secret
from jiandu.tipline.onion import stored_address as stored_onion_address  # no Django in it
from jiandu.tipline.onion import valid_address as valid_onion_address

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

# A verifier holds nothing (`jiandu verify-mirror`, `jiandu verify`: jiandu/cli.py sets this):
# no secret key file or static folder is made in its data dir; a throwaway key signs nothing.
VERIFIER_ONLY = env_bool("JIANDU_VERIFIER_ONLY", False)
SECRET_KEY = env_str("JIANDU_SECRET_KEY", "") or (
    secrets.token_urlsafe(48) if VERIFIER_ONLY else read_or_create_secret(DATA_DIR / "secret_key")
)
DEBUG = env_bool("JIANDU_DEBUG", False)
ALLOWED_HOSTS = env_list("JIANDU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# The onion service (`jiandu onion`, docs/operations.md): its address is a host of this site,
# announced by Onion-Location; JIANDU_TIPLINE_ONION_ONLY serves the tip line only there.
ONION_ADDRESS = (
    valid_onion_address(env_str("JIANDU_ONION_ADDRESS", ""))
    if env_str("JIANDU_ONION_ADDRESS", "")
    else stored_onion_address(DATA_DIR)
)
if ONION_ADDRESS:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, ONION_ADDRESS]
TIPLINE_ONION_ONLY = env_bool("JIANDU_TIPLINE_ONION_ONLY", False)

INSTALLED_APPS = [
    "jiandu.core",
    "jiandu.accounts",
    "jiandu.tipline",
    "jiandu.vault",
    "jiandu.newsroom",
    "jiandu.cases",
    "jiandu.public",
    "jiandu.ledger",
    "jiandu.tlog",
    "jiandu.forensics",
    "jiandu.sandbox",
    "jiandu.redaction",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jiandu.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "jiandu.tipline.middleware.OnionMiddleware",
    "jiandu.core.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiandu.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, so that its 400 answer passes through every header-setting middleware above.
    "jiandu.core.middleware.RejectBadBytesMiddleware",
]

ROOT_URLCONF = "jiandu.urls"
WSGI_APPLICATION = "jiandu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiandu.core.context_processors.languages",
                "jiandu.core.context_processors.waiting",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'jiandu.sqlite3'}"),
        conn_max_age=env_int("JIANDU_DB_CONN_MAX_AGE", 60),
        # A pooled connection is checked before reuse, so a restarted PostgreSQL costs no 500
        # (the restart drill saw one per pooled connection without it).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A new connection per request. Kept connections saved about 1 ms of a tus piece's 75, and
    # made the suite a third slower on SQLite (issue 22), so they stay PostgreSQL's.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Background work: Django's Tasks framework, stored in the database unless told otherwise.
# JIANDU_TASK_BACKEND: `database` (django-tasks-db, the default), `redis` (several workers on
# several machines; jiandu.core.redis_tasks, JIANDU_REDIS_URL), or a backend's dotted path.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "redis": "jiandu.core.redis_tasks.RedisTaskBackend",
}
_task_backend = env_str("JIANDU_TASK_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS.get(_task_backend, _task_backend),
        # Any queue name: each worker serves its own `preview-<id>` queue (forensics/handoff.py).
        "QUEUES": [],
    }
}
if TASKS["default"]["BACKEND"] == TASK_BACKENDS["redis"]:
    TASKS["default"]["OPTIONS"] = {
        "REDIS_URL": env_str("JIANDU_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_KEY_PREFIX": "jiandu-tasks",
        # A task not run within a day is dropped (the hourly jobs wait an hour at most).
        "REDIS_RESULT_TTL": 24 * 3600,
        # A finished task's record (its start and end times) goes a minute later, as the hourly
        # job drops the database backend's finished rows (docs/threat-model.md, "Times").
        "REDIS_COMPLETED_TASK_TTL": 60,
        # Longer than any task: a sandboxed tool gets 40 s of wall time, a video a few of them.
        "REDIS_CLAIM_TIMEOUT": 900,
        "REDIS_SOCKET_CONNECT_TIMEOUT": 5,
        "REDIS_HEALTH_CHECK_INTERVAL": 30,
    }

STORAGES = {
    # FileFields (published evidence) go through the blob store like the vault's files:
    # DATA_DIR/files/<folder>/ with the local backend, `files/<folder>/` keys in a bucket.
    "default": {
        "BACKEND": env_str("JIANDU_STORAGE_BACKEND", "jiandu.core.blobstore.files.BlobFileStorage"),
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("JIANDU_MANIFEST_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# Blob storage (jiandu.core.blobstore): encrypted vault files and previews in a folder under
# the data dir (LocalBlobStore), or in an S3 bucket (S3BlobStore); docs/operations.md.
# Empty S3 credentials: boto3's own chain (AWS_* variables, shared file, instance role).
JIANDU_BLOB_BACKEND = env_str(
    "JIANDU_BLOB_BACKEND", "jiandu.core.blobstore.services.LocalBlobStore"
)
JIANDU_BLOB_S3 = {
    "bucket": env_str("JIANDU_S3_BUCKET", ""),
    "endpoint_url": env_str("JIANDU_S3_ENDPOINT_URL", ""),
    "region": env_str("JIANDU_S3_REGION", "us-east-1"),
    "access_key_id": env_str("JIANDU_S3_ACCESS_KEY_ID", ""),
    "secret_access_key": env_str("JIANDU_S3_SECRET_ACCESS_KEY", ""),
    "prefix": env_str("JIANDU_S3_PREFIX", ""),
    "part_size": env_int("JIANDU_S3_PART_SIZE_MB", 8) * 1024 * 1024,
    "addressing_style": env_str("JIANDU_S3_ADDRESSING_STYLE", "path"),
}

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
if not VERIFIER_ONLY:
    STATIC_ROOT.mkdir(exist_ok=True)
# Static files are found in the rooms' folders too, so tests and a first start need no
# collectstatic; `jiandu serve` still collects them for speed.
WHITENOISE_USE_FINDERS = True

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "jiandu_cache",
    }
}

# Accounts: Argon2id only; every newsroom account has two factors (see jiandu/accounts).
# Django's Argon2 hasher is Argon2id (time 2, memory 100 MiB, lanes 8); ours computes the same
# hash in a child process, so a web worker's peak memory stays its own (jiandu.accounts.hashers).
PASSWORD_HASHERS = ["jiandu.accounts.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
JIANDU_LOGIN_MAX_FAILURES = env_int("JIANDU_LOGIN_MAX_FAILURES", 5)
JIANDU_LOGIN_LOCKOUT_SECONDS = env_int("JIANDU_LOGIN_LOCKOUT_SECONDS", 15 * 60)
JIANDU_LOGIN_CLIENT_LIMIT = env_int("JIANDU_LOGIN_CLIENT_LIMIT", 20)
JIANDU_TOTP_ISSUER = env_str("JIANDU_TOTP_ISSUER", "Jiandu")

# Sessions: idle expiry, browser-session cookies, no cookie but the session cookie.
# Sessions are stored under a hash of the cookie and encrypted by it (docs/crypto.md).
SESSION_ENGINE = "jiandu.vault.sessions"
# Flash messages live in the session too: no cookie but the session cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = env_int("JIANDU_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_NAME = "jiandu_session"
SESSION_COOKIE_SECURE = env_bool("JIANDU_SECURE_COOKIES", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_USE_SESSIONS = True
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "jiandu.core.views.csrf_failure"

# Security headers on every response (see also jiandu.core.middleware).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("JIANDU_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("JIANDU_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("JIANDU_BEHIND_TLS_PROXY", False) else None
)
JIANDU_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)

# Languages: Simplified Chinese by default, switched by URL prefix (no cookie, no JavaScript).
LANGUAGE_CODE = "zh-hans"
# Each language is named in itself; each room keeps its own catalogue in <room>/locale.
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
# The project's own catalogue comes first: it overrides the few strings of Django's own (the
# password forms and validators) whose Chinese addresses the reader as 你, not 您.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("JIANDU_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

# Logging: to stderr, warnings and up, and never a client address (no access log at all).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No line about a source's request, not even its time (jiandu.core.gunicorn_log).
    "filters": {"quiet_sources": {"()": "jiandu.core.gunicorn_log.QuietSources"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["quiet_sources"]}},
    "root": {"handlers": ["console"], "level": env_str("JIANDU_LOG_LEVEL", "WARNING")},
    # Django's own console handler (DEBUG only) would bypass the filter: django's records go
    # to the one filtered handler instead.
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": env_str("JIANDU_LOG_LEVEL", "WARNING"),
            "propagate": False,
        }
    },
}

# Public tracker (jiandu.public): comments per client address hash and hour; how often the
# buffered page-view counts are written to the database.
JIANDU_COMMENT_LIMIT = env_int("JIANDU_COMMENT_LIMIT", 5)
JIANDU_VIEWCOUNT_FLUSH_SECONDS = env_int("JIANDU_VIEWCOUNT_FLUSH_SECONDS", 10)
# The full-page fast path for anonymous readers (off only to measure without it).
JIANDU_PUBLIC_PAGE_CACHE = env_bool("JIANDU_PUBLIC_PAGE_CACHE", True)

# Newsroom notifications (jiandu.newsroom.notify): e-mails that say only "new activity".
_MAIL_BACKEND = env_str("JIANDU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKEND,
        "OPTIONS": (
            {
                "host": env_str("JIANDU_EMAIL_HOST", "localhost"),
                "port": env_int("JIANDU_EMAIL_PORT", 25),
            }
            if _MAIL_BACKEND.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("JIANDU_EMAIL_FROM", "jiandu@localhost")

JIANDU_PORT = env_int("JIANDU_PORT", 8000)
JIANDU_PUBLIC_BASE_URL = env_str("JIANDU_PUBLIC_BASE_URL", f"http://127.0.0.1:{JIANDU_PORT}")
# The log's name; unset, derived once from the public URL (jiandu/tlog/keys.py) and warned of
# at start: set it before the first start, never change it after (docs/operations.md).
JIANDU_LOG_ORIGIN = env_str("JIANDU_LOG_ORIGIN", "")
