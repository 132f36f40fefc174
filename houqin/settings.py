"""Settings for houqin. Everything deployment-specific comes from environment variables
(see docs/configuration.md); the defaults run a local demo on SQLite."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HOUQIN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("HOUQIN_DEBUG", False)
# A development key is generated per checkout; production must set HOUQIN_SECRET_KEY.
SECRET_KEY = os.environ.get("HOUQIN_SECRET_KEY", "")
if not SECRET_KEY:
    _key_file = VAR_DIR / "secret_key"
    if _key_file.exists():
        SECRET_KEY = _key_file.read_text().strip()
    else:
        from django.core.management.utils import get_random_secret_key

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = get_random_secret_key()
        _key_file.write_text(SECRET_KEY)
        _key_file.chmod(0o600)

ALLOWED_HOSTS = env_list("HOUQIN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("HOUQIN_CSRF_TRUSTED_ORIGINS")
# Printed on QR labels: labels stay on walls for years, so this must be the stable public address.
PUBLIC_BASE_URL = os.environ.get("HOUQIN_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "ninja",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "houqin.core",
    "houqin.accounts",
    "houqin.org",
    "houqin.servicedesk",
    "houqin.notifications",
    "houqin.insight",
    "houqin.performance",
    "houqin.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "houqin.accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "houqin.urls"
WSGI_APPLICATION = "houqin.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "houqin" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "houqin.core.context_processors.navigation",
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'houqin.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=int(os.environ.get("HOUQIN_DB_CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; IMMEDIATE avoids upgrade deadlocks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = int(os.environ.get("HOUQIN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("HOUQIN_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = os.environ.get("HOUQIN_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "houqin" / "locale"]
TIME_ZONE = os.environ.get("HOUQIN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "houqin" / "static"]
STATIC_ROOT = Path(os.environ.get("HOUQIN_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("HOUQIN_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Uploads (imports): refuse anything larger than this many bytes.
HOUQIN_MAX_UPLOAD_BYTES = int(os.environ.get("HOUQIN_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = HOUQIN_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
HOUQIN_IMPORT_MAX_ROWS = int(os.environ.get("HOUQIN_IMPORT_MAX_ROWS", "20000"))
# Larger files are imported by the background task worker, not during the upload's request.
HOUQIN_IMPORT_SYNC_ROWS = int(os.environ.get("HOUQIN_IMPORT_SYNC_ROWS", "500"))
# An export of more rows is written by the task worker, and downloaded from its page.
HOUQIN_EXPORT_SYNC_ROWS = int(os.environ.get("HOUQIN_EXPORT_SYNC_ROWS", "5000"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("HOUQIN_SESSION_SECONDS", str(12 * 3600)))
SESSION_COOKIE_SECURE = env_bool("HOUQIN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("HOUQIN_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

TASKS = {"default": {"BACKEND": os.environ.get("HOUQIN_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Outgoing e-mail (notification channels of kind e-mail). Without a host, e-mail channels fail
# their messages with a clear error instead of trying a local mail server.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("HOUQIN_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("HOUQIN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("HOUQIN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HOUQIN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HOUQIN_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 5
DEFAULT_FROM_EMAIL = os.environ.get("HOUQIN_EMAIL_FROM", "houqin@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

NINJA_PAGINATION_MAX_LIMIT = 1000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOUQIN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

HOUQIN_SITE_NAME = _("Hospital Logistics Service Center")
