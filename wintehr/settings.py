"""WintEHR settings: one module, driven by environment variables (see the README's table)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from wintehr.embedded_postgres import embedded_database_settings
from wintehr.env import envbool, envfloat, envint, envlist, envpath, envstr, envurl

BASE_DIR = Path(__file__).resolve().parent.parent

INSECURE_DEFAULT_SECRET_KEY = "wintehr-insecure-development-key-do-not-use-in-production"

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY: production mode (DEBUG off) refuses the default secret key; set SECRET_KEY"
    )
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

PORT = envint("PORT", 8000, minimum=1)  # the port `make run` serves on, for printed addresses
WEB_THREADS = envint(
    "WEB_THREADS", 1, minimum=1
)  # request threads per web process; scale with processes
WINTEHR_DATA_DIR = envpath("WINTEHR_DATA_DIR", BASE_DIR / "var")

# Database: the embedded PostgreSQL unless DATABASE_URL names a server.
DATABASE_URL = envurl("DATABASE_URL", schemes={"postgres", "postgresql", "pgsql"})
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    DATABASES["default"]["ENGINE"] = "wintehr.postgres"  # wintehr/postgres/base.py
else:
    DATABASES = {"default": embedded_database_settings(WINTEHR_DATA_DIR)}
DATABASES["default"]["CONN_MAX_AGE"] = envint("DATABASE_CONN_MAX_AGE", 600, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache, channel layer and Celery broker when REDIS_URL is set; in-process otherwise.
REDIS_URL = envurl("REDIS_URL", schemes={"redis", "rediss", "unix"})
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "channels",
    "guardian",
    "django_htmx",
    "fhirapi",
    "clinical",
    "cds",
    "imaging",
]

MIDDLEWARE = [
    "wintehr.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wintehr.urls"
ASGI_APPLICATION = "wintehr.asgi.application"
WSGI_APPLICATION = "wintehr.wsgi.application"

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

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = envpath("WINTEHR_STATIC_ROOT", WINTEHR_DATA_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = WINTEHR_DATA_DIR / "media"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Security: cookies and headers that hold in production, relaxed only where DEBUG needs plain HTTP.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Off only where production settings are served over plain HTTP on loopback (benchmarks).
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP inside the network
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

WINTEHR_VERSION = "0.1.0"
WINTEHR_RELEASE_DATE = "2026-11-25"

# FHIR server
FHIR_BASE_URL = envstr("FHIR_BASE_URL", f"http://127.0.0.1:{PORT}/fhir").rstrip("/")
FHIR_LENIENT_REFERENCES = envbool("FHIR_LENIENT_REFERENCES", False)
# What a person may do with FHIR data (role rights, restricted charts): fhirapi.services.user_actor
FHIR_USER_POLICY = "clinical.fhir.access.user_policy"
FHIR_MAX_BODY_BYTES = envint("FHIR_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)
FHIR_MAX_JSON_DEPTH = envint("FHIR_MAX_JSON_DEPTH", 64, minimum=8)
FHIR_DEFAULT_COUNT = envint("FHIR_DEFAULT_COUNT", 20, minimum=1)
FHIR_MAX_COUNT = envint("FHIR_MAX_COUNT", 1000, minimum=1)
# At most this many `_include`d/`_revinclude`d resources per searchset page (then a warning).
FHIR_MAX_INCLUDED = envint("FHIR_MAX_INCLUDED", 1000, minimum=1)
FHIR_CONDITIONAL_DELETE_MULTIPLE = envbool("FHIR_CONDITIONAL_DELETE_MULTIPLE", True)
DATA_UPLOAD_MAX_MEMORY_SIZE = FHIR_MAX_BODY_BYTES

LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "wintehr.log_format.structured_formatter",
            "json": not DEBUG,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "uvicorn.access": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fhirapi.rest.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# --- SMART on FHIR ---
# The OAuth2/OpenID Connect authorization server for SMART apps (fhirapi/smart), its tokens'
# place among the API's authentication classes, and CORS for the registered apps' origins.
from fhirapi.smart.signing_key import oidc_private_key  # noqa: E402

INSTALLED_APPS += ["corsheaders", "oauth2_provider", "fhirapi.smart"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].insert(
    0, "fhirapi.smart.authentication.SmartTokenAuthentication"
)

SMART_ACCESS_TOKEN_SECONDS = envint("SMART_ACCESS_TOKEN_SECONDS", 3600, minimum=60)
SMART_REFRESH_TOKEN_SECONDS = envint("SMART_REFRESH_TOKEN_SECONDS", 90 * 24 * 3600, minimum=60)
OIDC_RSA_PRIVATE_KEY = oidc_private_key(
    envstr("OIDC_RSA_PRIVATE_KEY"), data_dir=WINTEHR_DATA_DIR, debug=DEBUG
)
# django-oauth-toolkit's models, named because fhirapi/smart's models refer to them.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "fhirapi.smart.server.SmartServer",
    "OAUTH2_VALIDATOR_CLASS": "fhirapi.smart.validator.SmartOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "fhirapi.smart.scope_backend.SmartScopes",
    "OIDC_ENABLED": bool(OIDC_RSA_PRIVATE_KEY),
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ],
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_GENERATOR": "fhirapi.smart.tokens.access_token",
    "REFRESH_TOKEN_GENERATOR": "fhirapi.smart.tokens.refresh_token",
    "ACCESS_TOKEN_EXPIRE_SECONDS": SMART_ACCESS_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": SMART_ACCESS_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": SMART_REFRESH_TOKEN_SECONDS,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

# CORS only for the origins of registered SMART apps' redirect URIs (fhirapi/smart/cors.py).
CORS_URLS_REGEX = r"^/(fhir/|auth/(token|introspect|revoke)$)"
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "if-match",
    "if-modified-since",
    "if-none-exist",
    "if-none-match",
    "prefer",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = ["content-location", "etag", "last-modified", "location", "x-request-id"]

# --- Sign-in, roles and audit ---
# Sign-in pages (clinical/accounts), lock-out after failed sign-ins (django-axes), the optional
# TOTP second factor that a role can require (django-otp), idle session expiry, the audit trail
# (fhirapi/audit), the admin site for the admin role, the Content-Security-Policy of the pages and
# the API's rate limit.


INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = (
    "clinical.accounts.admin_apps.WintehrAdminConfig"
)
INSTALLED_APPS += ["fhirapi.audit", "django_otp", "django_otp.plugins.otp_totp", "axes", "csp"]


def _middleware_after(anchor: str, *names: str) -> None:
    at = MIDDLEWARE.index(anchor) + 1
    MIDDLEWARE[at:at] = names


_middleware_after(
    "wintehr.request_id.RequestIdMiddleware", "fhirapi.audit.origin.RequestOriginMiddleware"
)
_middleware_after(
    "django.middleware.security.SecurityMiddleware",
    "wintehr.content_security.PageAndApiCSPMiddleware",
)
_middleware_after(
    "django.contrib.auth.middleware.AuthenticationMiddleware", "django_otp.middleware.OTPMiddleware"
)
_middleware_after(
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinical.accounts.middleware.IdleTimeoutMiddleware",
    "clinical.accounts.middleware.SecondFactorMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires
AUTHENTICATION_BACKENDS.insert(0, "clinical.accounts.backends.LockoutBackend")

if DEBUG:  # pages link static files; unhashed names need no collectstatic manifest (tests)
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "login"
SESSION_IDLE_TIMEOUT_MINUTES = envint("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
BREAK_GLASS_MINUTES = envint("BREAK_GLASS_MINUTES", 60, minimum=1)
AUDIT_SYNCHRONOUS_COMMIT = envbool("AUDIT_SYNCHRONOUS_COMMIT", False)  # fhirapi/audit/services.py
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)
OTP_TOTP_ISSUER = "WintEHR"

# Lock-out: per username and address together, so a shared ward address cannot lock others out.
AXES_FAILURE_LIMIT = envint("SIGNIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("SIGNIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "wintehr.client_ip.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail
AXES_VERBOSE = False

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "wintehr@localhost")

# No form-action: browsers apply it to the redirect after the SMART consent form.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

API_RATE_LIMIT_PER_MINUTE = envint("API_RATE_LIMIT_PER_MINUTE", 100_000, minimum=0)
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["fhirapi.rest.throttling.PerUserRateThrottle"]

# --- Import and export ---
# Bulk Data $export/$import, `manage.py import_fhir` / `export_fhir` (fhirapi/bulk) and the demo
# population `make run` loads into an empty store (fhirapi/demo).
INSTALLED_APPS += ["fhirapi.bulk"]
FHIR_EXPORT_DIR = WINTEHR_DATA_DIR / "exports"
FHIR_EXPORT_RETENTION_HOURS = envint("FHIR_EXPORT_RETENTION_HOURS", 24, minimum=1)
FHIR_IMPORT_DIR = envpath("FHIR_IMPORT_DIR", WINTEHR_DATA_DIR / "imports")
FHIR_IMPORT_MAX_ARCHIVE_BYTES = envint("FHIR_IMPORT_MAX_ARCHIVE_BYTES", 8 * 1024**3, minimum=1)
FHIR_IMPORT_MAX_ARCHIVE_ENTRIES = envint("FHIR_IMPORT_MAX_ARCHIVE_ENTRIES", 100_000, minimum=1)
FHIR_IMPORT_WORKERS = envint("FHIR_IMPORT_WORKERS", os.cpu_count() or 1, minimum=1)
WINTEHR_DEMO_PATIENTS = envint("WINTEHR_DEMO_PATIENTS", 25, minimum=0)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "fhir-exports-expire": {"task": "fhirapi.bulk.tasks.exports_expire", "schedule": 3600.0},
}

# --- Imaging ---
# DICOM ingest, DICOMweb (/dicomweb), rendering and the viewer (imaging/). DICOM files go to the
# `dicom` storage backend (any Django storage; files on disk by default), rendered frames to a
# disk cache; IMAGING_PACS_URL names a remote DICOMweb PACS besides those set up in the admin.
IMAGING_DICOM_DIR = envpath("IMAGING_DICOM_DIR", WINTEHR_DATA_DIR / "dicom")
IMAGING_STORAGE_BACKEND = envstr(
    "IMAGING_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
)
_IMAGING_ON_DISK = IMAGING_STORAGE_BACKEND.endswith("FileSystemStorage")
STORAGES["dicom"] = {  # another backend (S3, ...) is configured by its own settings
    "BACKEND": IMAGING_STORAGE_BACKEND,
    "OPTIONS": {"location": IMAGING_DICOM_DIR} if _IMAGING_ON_DISK else {},
}
IMAGING_RENDER_CACHE_DIR = envpath(
    "IMAGING_RENDER_CACHE_DIR", WINTEHR_DATA_DIR / "cache" / "rendered"
)
IMAGING_DICOMWEB_URL = envstr(
    "IMAGING_DICOMWEB_URL", FHIR_BASE_URL.removesuffix("/fhir") + "/dicomweb"
).rstrip("/")
IMAGING_PACS_URL = envurl("IMAGING_PACS_URL", schemes={"http", "https"})
IMAGING_MAX_UPLOAD_BYTES = envint("IMAGING_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1024)
IMAGING_MAX_ARCHIVE_ENTRIES = envint("IMAGING_MAX_ARCHIVE_ENTRIES", 20_000, minimum=1)
IMAGING_QIDO_MAX_RESULTS = envint("IMAGING_QIDO_MAX_RESULTS", 1000, minimum=1)
IMAGING_AUDIT_WINDOW_SECONDS = envint("IMAGING_AUDIT_WINDOW_SECONDS", 300, minimum=0)
DATA_UPLOAD_MAX_NUMBER_FILES = envint("IMAGING_MAX_UPLOAD_FILES", 2000, minimum=1)

# --- CDS Hooks ---
# CDS Hooks 2.0 services at /cds-services, rule pages at /cds/rules/, and the workspace's client
# (cds/). Callers sign requests with JWTs of registered CdsClients, unless unsigned calls are
# allowed.

CDS_HOOKS_ALLOW_UNSIGNED = envbool("CDS_HOOKS_ALLOW_UNSIGNED", False)
CDS_HOOKS_TIME_BUDGET_SECONDS = envfloat("CDS_HOOKS_TIME_BUDGET_SECONDS", 2.0, minimum=0.1)
CDS_HOOKS_BASE_URL = envstr("CDS_HOOKS_BASE_URL", "").rstrip("/")  # public origin, for JWT aud
CDS_HOOKS_CLIENT_ISSUER = envstr(
    "CDS_HOOKS_CLIENT_ISSUER", CDS_HOOKS_BASE_URL or FHIR_BASE_URL.removesuffix("/fhir")
).rstrip("/")
CDS_EXTERNAL_REFRESH_SECONDS = envint("CDS_EXTERNAL_REFRESH_SECONDS", 3600, minimum=60)
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "cds-external-refresh": {
        "task": "cds.tasks.refresh_external_services",
        "schedule": float(CDS_EXTERNAL_REFRESH_SECONDS),
    },
}

# --- Realtime ---
# Live screens over websockets (/ws/live/, clinical/realtime) and FHIR R4 Subscriptions
# (fhirapi/subscriptions: rest-hook deliveries by Celery, websocket at /ws/fhir-subscriptions).

INSTALLED_APPS += ["clinical.realtime", "fhirapi.subscriptions"]
REALTIME_RESUME_SECONDS = envint("REALTIME_RESUME_SECONDS", 300, minimum=10)
REALTIME_KEEP_EVENTS = envint("REALTIME_KEEP_EVENTS", 200, minimum=1)
REALTIME_HEARTBEAT_SECONDS = envint("REALTIME_HEARTBEAT_SECONDS", 30, minimum=1)
REALTIME_PRESENCE_SECONDS = 3 * REALTIME_HEARTBEAT_SECONDS  # a vanished viewer disappears then
if REDIS_URL:  # redis-py's asyncio pools refuse a 101st connection; 500 sockets need more
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {
            "address": REDIS_URL,
            "max_connections": envint("REALTIME_REDIS_MAX_CONNECTIONS", 1000, minimum=10),
        }
    ]
FHIR_SUBSCRIPTION_MAX_FAILURES = envint("FHIR_SUBSCRIPTION_MAX_FAILURES", 5, minimum=1)
FHIR_SUBSCRIPTION_RETRIES = envint("FHIR_SUBSCRIPTION_RETRIES", 3, minimum=0)
FHIR_SUBSCRIPTION_RETRY_SECONDS = envfloat("FHIR_SUBSCRIPTION_RETRY_SECONDS", 2.0, minimum=0)
FHIR_SUBSCRIPTION_TIMEOUT_SECONDS = envfloat("FHIR_SUBSCRIPTION_TIMEOUT_SECONDS", 10.0, minimum=0.1)
FHIR_SUBSCRIPTION_RETRY_HOURS = envint("FHIR_SUBSCRIPTION_RETRY_HOURS", 24, minimum=1)

# --- Operations ---
# The admin's System status page, /metrics (Prometheus), the FHIR explorer at /explorer/
# (clinical/operations, fhirapi/explorer, wintehr/metrics.py), retention purges run by Celery beat,
# and reads from PostgreSQL replicas with read-your-writes (wintehr/db_routing.py).
INSTALLED_APPS += ["clinical.operations", "fhirapi.explorer"]
_middleware_after(
    "wintehr.request_id.RequestIdMiddleware",
    "clinical.operations.request_metrics.RequestMetricsMiddleware",
    "wintehr.db_routing.ReadYourWritesMiddleware",
)
SECURE_REDIRECT_EXEMPT += [r"^metrics$"]  # scraped over plain HTTP inside the network
METRICS_TOKEN = envstr("METRICS_TOKEN")  # bearer token for /metrics; staff sessions also may
PROMETHEUS_MULTIPROC_DIR = envstr("PROMETHEUS_MULTIPROC_DIR")  # read by prometheus_client itself
if PROMETHEUS_MULTIPROC_DIR:  # several processes add up their metrics there
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# The Celery worker's own PROMETHEUS_MULTIPROC_DIR, whose task metrics /metrics adds in.
PROMETHEUS_WORKER_MULTIPROC_DIR = envstr("PROMETHEUS_WORKER_MULTIPROC_DIR")

AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 0, minimum=0)  # 0: audit kept for ever
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "audit-records-purge": {
        "task": "clinical.operations.tasks.audit_records_purge",
        "schedule": 24 * 3600.0,
    },
    "sessions-clear": {"task": "clinical.operations.tasks.sessions_clear", "schedule": 3600.0},
    "oauth-tokens-clear": {
        "task": "clinical.operations.tasks.oauth_tokens_clear",
        "schedule": 3600.0,
    },
    "used-jwt-ids-clear": {
        "task": "clinical.operations.tasks.used_jwt_ids_clear",
        "schedule": 3600.0,
    },
    "fhir-subscriptions-retry": {  # rest-hook notifications whose retries ran out
        "task": "fhirapi.subscriptions.tasks.subscriptions_retry",
        "schedule": 300.0,
    },
}

# Read replicas: aliases replica1, replica2, ... used for the store's reads outside transactions.
for _number, _url in enumerate(envlist("DATABASE_REPLICA_URLS", []), start=1):
    if not _url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: expected postgres:// URLs: {_url!r}")
    DATABASES[f"replica{_number}"] = {
        **dj_database_url.parse(_url),
        "ENGINE": "wintehr.postgres",
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["wintehr.db_routing.ReplicaRouter"]
DATABASE_REPLICA_PIN_SECONDS = envint("DATABASE_REPLICA_PIN_SECONDS", 10, minimum=0)

# SMART apps' redirect URIs: https only in production (RFC 9700 section 2.1); `http` admits the
# loopback redirects of native apps (RFC 8252) and makes `check --deploy` warn.
OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"] = envlist(
    "SMART_REDIRECT_URI_SCHEMES", ["http", "https"] if DEBUG else ["https"]
)

# Stateless web processes: with Redis, sessions are read from the cache and kept in the database
# (wintehr/sessions.py: cached_db that goes on from the database while Redis is down).
if REDIS_URL:
    SESSION_ENGINE = "wintehr.sessions"
