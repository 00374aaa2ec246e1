"""Settings shared by every deployment; everything that differs comes from the environment.

See ``docs/deploy.md`` for the variables.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GUANXI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def local_secret_key() -> str:
    """The embedded default keeps a generated key in ``var/`` so it is never committed."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or local_secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "guanxi.core",
    "guanxi.customers",
    "guanxi.sales",
    "guanxi.marketing",
    "guanxi.leads",
    "guanxi.activities",
    "guanxi.dataio",
    "guanxi.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "guanxi.core.middleware.RequestIdMiddleware",
    "guanxi.core.middleware.IdleSessionMiddleware",
    "guanxi.core.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guanxi.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "guanxi.urls"
WSGI_APPLICATION = "guanxi.wsgi.application"
ASGI_APPLICATION = "guanxi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guanxi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guanxi.core.context_processors.guanxi",
            ],
        },
    },
]

# --- database --------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "guanxi.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers go on while one writer writes; IMMEDIATE makes a write
            # transaction take the write lock at BEGIN, so two writers queue instead of
            # failing half-way with "database is locked".
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "guanxi.core.auth.UsernameOrEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 60 * 60 * 12))
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
# Idle expiry: guanxi.core.middleware.IdleSessionMiddleware restarts the clock, at most once
# per SESSION_REFRESH_SECONDS rather than with a database write on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = int(os.environ.get("SESSION_REFRESH_SECONDS", 300))

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 0.5))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"

# --- i18n ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "guanxi" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "guanxi" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- email -----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "guanxi@localhost")
if EMAIL_URL:
    from urllib.parse import unquote, urlparse

    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme in {"smtp+tls", "submission"}
    EMAIL_USE_SSL = _email.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- cache and jobs --------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_IMPORTS = ["guanxi.core.jobs"]  # registers run_task, the task every job goes through
CELERY_BEAT_SCHEDULE = {
    "purge-recycle-bin": {"task": "guanxi.core.tasks.purge_recycle_bin", "schedule": 3600 * 6},
    "pool-job": {"task": "guanxi.customers.tasks.run_pool_job", "schedule": 3600 * 24},
    "purge-data-files": {"task": "guanxi.dataio.tasks.purge_old_files", "schedule": 3600 * 24},
    "send-reminders": {"task": "guanxi.activities.tasks.send_reminders", "schedule": 60},
    "escalate-leads": {"task": "guanxi.leads.tasks.escalate_overdue_leads", "schedule": 300},
    "retry-webhook-deliveries": {
        "task": "guanxi.webhooks.tasks.retry_webhook_deliveries",
        "schedule": 60,
    },
    # nurturing steps that are due (through the one job task: no task module of its own)
    "run-sequences": {
        "task": "guanxi.core.jobs.run_task",
        "args": ["guanxi.leads.nurturing.run_due_enrollments"],
        "schedule": 300,
    },
    # the lead conversion model: retrained weekly, open leads re-scored nightly
    "train-lead-model": {
        "task": "guanxi.core.jobs.run_task",
        "args": ["guanxi.leads.predictive.train_and_score"],
        "schedule": 7 * 24 * 3600,
    },
    "score-open-leads": {
        "task": "guanxi.core.jobs.run_task",
        "args": ["guanxi.leads.predictive.score_open_leads"],
        "schedule": 24 * 3600,
    },
}
# What the admin's "Scheduled tasks" page calls each of them.
SCHEDULE_LABELS = {
    "purge-recycle-bin": _("Purge the recycle bin"),
    "pool-job": _("Return neglected accounts to the customer pool"),
    "purge-data-files": _("Delete old import and export files"),
    "send-reminders": _("Send activity reminders"),
    "escalate-leads": _("Escalate overdue leads"),
    "retry-webhook-deliveries": _("Retry failed webhook deliveries"),
    "run-sequences": _("Run due nurturing steps"),
    "train-lead-model": _("Retrain the lead conversion model"),
    "score-open-leads": _("Score open leads"),
}
# Without Celery beat, `manage.py serve` runs the schedule itself, checking every N seconds
# (guanxi.core.scheduler); `manage.py run_scheduled` does one round, for cron.
GUANXI_SCHEDULER_TICK = float(os.environ.get("GUANXI_SCHEDULER_TICK", "30"))
# Without a broker, jobs run on a thread of the web process (see guanxi.core.jobs).
GUANXI_JOBS_MODE = os.environ.get("GUANXI_JOBS_MODE", "celery" if REDIS_URL else "thread")

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request with neither gets 401 with "WWW-Authenticate: Token", not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "guanxi.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guanxi.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE_USER", "5000/hour"),
        "anon": os.environ.get("API_RATE_ANON", "100/hour"),
        "login": os.environ.get("API_RATE_LOGIN", "30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Guanxi API",
    "DESCRIPTION": "The REST API of Guanxi, an open-source CRM.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several fields share (consent per channel).
    "ENUM_NAME_OVERRIDES": {
        "ConsentStatusEnum": "guanxi.customers.models.ConsentStatus",
        "LeadBehaviourKindEnum": "guanxi.leads.models.BehaviourKind",
        "ScoringRuleKindEnum": "guanxi.leads.models.LeadScoringRule.Kind",
        "StageKindEnum": "guanxi.sales.models.StageKind",
        "BuyingRoleEnum": "guanxi.customers.models.BuyingRole",
    },
}

# --- Guanxi ----------------------------------------------------------------------------------
GUANXI_RECYCLE_BIN_DAYS = int(os.environ.get("GUANXI_RECYCLE_BIN_DAYS", 30))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Django's form templates, with select boxes written in Python (guanxi.core.renderers).
FORM_RENDERER = "guanxi.core.renderers.FastSelectRenderer"
