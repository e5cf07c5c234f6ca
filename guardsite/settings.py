"""Guardsite settings, read from the environment.

With nothing set, Guardsite runs in development mode on SQLite with Celery tasks executed eagerly,
so a fresh checkout starts. Production (``GUARDSITE_MODE=production``) refuses to start without a
secret key and allowed hosts: no secret has an insecure default there.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

GUARDSITE_MODE = env.str("GUARDSITE_MODE", default="development")
if GUARDSITE_MODE not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"GUARDSITE_MODE must be 'development' or 'production', not {GUARDSITE_MODE!r}"
    )
DEVELOPMENT = GUARDSITE_MODE == "development"

DEBUG = env.bool("DJANGO_DEBUG", default=DEVELOPMENT)

if DEVELOPMENT:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="development-only-not-a-secret")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to at least 32 characters in production"
        )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production")
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "template_partials",
    "guardsite",
    "filters",
    "blocklists",
    "deployments",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

if not DEBUG:
    # gunicorn serves the collected static files itself; runserver serves them in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "guardsite.urls"
WSGI_APPLICATION = "guardsite.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a real broker when REDIS_URL is set, otherwise tasks run inline in the calling process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="guardsite")
# A down broker must fail fast: the runtime then writes events to the database outbox.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BEAT_SCHEDULE = {
    "flush-event-outbox": {"task": "review.tasks.flush_event_outbox", "schedule": 30.0},
    # Abuse monitoring review, access and enforcement (review/tasks.py).
    "expire-access-requests": {"task": "review.tasks.expire_access_requests", "schedule": 300.0},
    "escalate-stale-review-items": {
        "task": "review.tasks.escalate_stale_review_items",
        "schedule": 900.0,
    },
    "enforce-remediation-deadlines": {
        "task": "review.tasks.enforce_remediation_deadlines",
        "schedule": 900.0,
    },
    "retry-automated-review": {"task": "review.tasks.retry_automated_review", "schedule": 600.0},
    "purge-expired-content": {"task": "review.tasks.purge_expired_content", "schedule": 3600.0},
}
# Content of classification events is purged after this many days; signals stay.
GUARDSITE_CONTENT_RETENTION_DAYS = env.int("GUARDSITE_CONTENT_RETENTION_DAYS", default=30)
# With late acknowledgement, a message whose worker died is redelivered after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries installed from the npm registry with package-lock.json (`npm ci`), served
# as static files under vendor/ (e.g. vendor/chart.js/dist/chart.umd.min.js).
STATICFILES_DIRS = [("vendor", BASE_DIR / "node_modules")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: bulk blocklist files are small text; refuse anything larger before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEVELOPMENT
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="guardsite@localhost")

# Classifier profiles an operator offers (secrets stay in the environment, never in the database):
#   GUARDSITE_CLASSIFIERS='{"cs": {"kind": "content_safety", "endpoint": "https://…", "key": "…"}}'
# and the default for filters that name none: "local" (the trained models) or a profile name.
GUARDSITE_CLASSIFIERS = env.json("GUARDSITE_CLASSIFIERS", default={})
GUARDSITE_CLASSIFIER = env.str("GUARDSITE_CLASSIFIER", default="local")


def _check_classifiers() -> None:
    from guardsite.engine.external import build_classifier

    if not isinstance(GUARDSITE_CLASSIFIERS, dict):
        raise ImproperlyConfigured("GUARDSITE_CLASSIFIERS must be a JSON object of profiles")
    for name, spec in GUARDSITE_CLASSIFIERS.items():
        if name == "local":
            raise ImproperlyConfigured("'local' is reserved for the trained models")
        try:
            classifier = build_classifier(spec)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"GUARDSITE_CLASSIFIERS[{name!r}]: {exc}") from exc
        if classifier is not None:
            classifier.close()
    if GUARDSITE_CLASSIFIER != "local" and GUARDSITE_CLASSIFIER not in GUARDSITE_CLASSIFIERS:
        raise ImproperlyConfigured(
            f"GUARDSITE_CLASSIFIER names {GUARDSITE_CLASSIFIER!r}, which is not a profile in "
            "GUARDSITE_CLASSIFIERS (or 'local')"
        )


_check_classifiers()

# Runtime API requests per second per key; 0 turns the limit off.
GUARDSITE_RATE_LIMIT_PER_SECOND = env.int("GUARDSITE_RATE_LIMIT_PER_SECOND", default=1000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "guardsite.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guardsite.api.exception_handler",
    # The browsable API is a development aid; production answers JSON only.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Guardsite API",
    "DESCRIPTION": "Manage content filters, blocklists, deployments and resources.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
