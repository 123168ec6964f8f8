"""Settings, all from the environment.

With nothing set this is the embedded default: SQLite under var/, Celery on
kombu's filesystem transport, file-based cache.  DATABASE_URL and REDIS_URL
switch to PostgreSQL and Redis (see README "Configuration").
"""
import os
import secrets
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NUANXIN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Embedded default only: a key generated once per checkout, kept out of git.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "csp",
    "django_htmx",
    "core_billing",
    "messaging",
    "campaigns",
    "dispatch",
    "reports",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core_billing.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, so it sees the outcome of every login attempt
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core_billing.context_processors.console",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    # Server-side parameter binding lets psycopg prepare a statement once it has run 5 times on a connection,
    # so PostgreSQL plans the queries every pay page and every payment run once per connection, not once per
    # request (measured under bench pay: PostgreSQL CPU per pay page 0.16-0.46 ms, was 0.96-1.54; per payment
    # notification 3.9-4.2 ms, was 4.8-5.0).  A pooler that hands one client's statements to another server
    # connection (PgBouncer in transaction mode before 1.21) cannot keep them: DATABASE_PREPARED_STATEMENTS=0.
    if os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") != "0":
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "nuanxin.sqlite3",
            "OPTIONS": {
                # WAL lets pages read while a worker writes; IMMEDIATE takes the
                # write lock up front so two writers queue instead of deadlocking.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
DATABASE_VENDOR = "postgresql" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core_billing.User"

# --- cache, broker, tasks ----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # A file cache is shared by the web process and the worker (progress bars,
    # rate limits) without touching the SQLite write lock.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }
    _broker_dir = VAR_DIR / "celery"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        # kombu's default is ./control in the working directory
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Retries must come back before the broker would redeliver an unacked task.
BROKER_VISIBILITY_TIMEOUT = CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task unless this is set,
# so each task paid for a new PostgreSQL session (a backend fork and its set-up): a receipt SMS cost
# the worker and PostgreSQL twice what its queries did.  Connections are kept instead, and
# config/celery.py closes old or broken ones before each task as Django does before each request
# (CONN_MAX_AGE, health checks).  The fixup still closes them every 2 × this many tasks.
CELERY_DB_REUSE_MAX = 10_000
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_BEAT_SCHEDULE: dict = {
    "webhooks-deliver-due": {"task": "webhooks.tasks.deliver_due", "schedule": 30.0},
    # late fees accrue with the calendar: every balance as of the new day
    "billing-refresh-balances": {"task": "core_billing.tasks.refresh_balances",
                                 "schedule": crontab(hour=0, minute=20)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "Asia/Shanghai"

# --- auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while locked out
    "core_billing.auth_backends.CachedPermissionsBackend",  # ModelBackend, permissions cached in Redis
]
# Lock a user name from one address after repeated failures (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_LOCKOUT_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core_billing/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "code"]
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core_billing.permissions.IsStaffMember"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core_billing.api_base.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core_billing.api_base.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nuanxin API",
    "DESCRIPTION": "暖信 — billing core and SMS platform for district-heating companies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: no CDN, and no inline script (CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "webhooks.models.Event",
        "TopicKindEnum": "messaging.models.topics.TopicKind.choices",
        "HeatingStatusEnum": "core_billing.models.org.HeatingStatus",
        "SeasonStatusEnum": "core_billing.models.billing.Season.Status",
        "AdjustmentStatusEnum": "core_billing.models.billing.Adjustment.Status",
    },
}

# --- security ---------------------------------------------------------------
# HTTPS=1 when served behind TLS (production, `make serve`): secure cookies,
# HSTS and redirects; the proxy in front says the scheme in X-Forwarded-Proto.
HTTPS = env_bool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "12")) * 3600
if REDIS_URL:
    # read from Redis, written through to the database: one query less on every signed-in page
    SESSION_ENGINE = "core_billing.sessions"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # htmx adds its indicator styles inline; scripts stay strict.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", *env_list("CSP_FORM_ACTION", "")],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- outbound webhooks -------------------------------------------------------
# Subscriptions may not point into private networks unless this is set (the
# demo and tests post to receivers on loopback).
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = env_bool("OUTBOUND_WEBHOOKS_ALLOW_PRIVATE", DEBUG)

# --- company ----------------------------------------------------------------
COMPANY_NAME = os.environ.get("COMPANY_NAME", "暖信热力")
COMPANY_HOTLINE = os.environ.get("COMPANY_HOTLINE", "0412-96000")
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))

# --- SMS (messaging) ---------------------------------------------------------
# SMS_GATEWAY names the gateway new messages go through; SMS_GATEWAYS maps
# names (also used in /webhooks/sms/<name>/...) to a class and its options.
# With no Twilio credentials set, "twilio" points at the bundled simulator
# (manage.py smsgate_sim) with credentials derived from SECRET_KEY, which the
# simulator reads from these same settings.
import hashlib as _hashlib  # noqa: E402

SMS_SIMULATOR_URL = os.environ.get("SMS_SIMULATOR_URL", "http://127.0.0.1:8025").rstrip("/")
_sim_secret = _hashlib.sha256(f"nuanxin-sms-simulator:{SECRET_KEY}".encode()).hexdigest()
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID") or "AC" + _sim_secret[:32]
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN") or _sim_secret[32:64]
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE") or (
    "https://api.twilio.com" if os.environ.get("TWILIO_ACCOUNT_SID") else SMS_SIMULATOR_URL)
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "twilio")
SMS_GATEWAYS = {
    "console": {"BACKEND": "messaging.gateways.console.ConsoleGateway", "RATE": 1000},
    "twilio": {
        "BACKEND": "messaging.gateways.twilio.TwilioGateway",
        "ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "FROM_NUMBER": os.environ.get("TWILIO_FROM", "+8610690000"),
        "API_BASE": TWILIO_API_BASE,
        "STATUS_CALLBACK": f"{PUBLIC_BASE_URL}/webhooks/sms/twilio/status/",
        "RATE": float(os.environ.get("TWILIO_RATE", "100")),
        "CONCURRENCY": int(os.environ.get("TWILIO_CONCURRENCY", "4")),
        "TIMEOUT": float(os.environ.get("TWILIO_TIMEOUT", "10")),
    },
    "aliyun": {
        "BACKEND": "messaging.gateways.aliyun.AliyunGateway",
        "ACCESS_KEY_ID": os.environ.get("ALIYUN_ACCESS_KEY_ID", ""),
        "ACCESS_KEY_SECRET": os.environ.get("ALIYUN_ACCESS_KEY_SECRET", ""),
        "SIGN_NAME": os.environ.get("ALIYUN_SMS_SIGN_NAME", COMPANY_NAME),
        "TEMPLATE_CODE": os.environ.get("ALIYUN_SMS_TEMPLATE_CODE", ""),
        "ENDPOINT": os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        "CALLBACK_TOKEN": os.environ.get("ALIYUN_SMS_CALLBACK_TOKEN", ""),
        "RATE": float(os.environ.get("ALIYUN_SMS_RATE", "100")),
    },
}
SMS_SIGNATURE = os.environ.get("SMS_SIGNATURE", COMPANY_NAME)
SMS_OPT_OUT_TEXT = os.environ.get("SMS_OPT_OUT_TEXT", "回T退订")
SMS_PRICE_PER_SEGMENT = Decimal(os.environ.get("SMS_PRICE_PER_SEGMENT", "0.05"))
# Messages per send task: a 100,000-message campaign queues 400 tasks rather than 1,000 (measured: the
# send benchmarks hold their rates, 99 % of an allowed 500/s; a campaign writes 0.3 s faster)
SMS_BATCH_SIZE = int(os.environ.get("SMS_BATCH_SIZE", "250"))
SMS_MAX_ATTEMPTS = 3
# Seconds before attempts 2 and 3; each stays below the broker's visibility
# timeout, or Redis would hand the waiting task to a second worker.
SMS_RETRY_BACKOFF = [min(int(s), BROKER_VISIBILITY_TIMEOUT // 2)
                     for s in env_list("SMS_RETRY_BACKOFF", "20,120")]
SMS_SENDING_TIMEOUT = int(os.environ.get("SMS_SENDING_TIMEOUT", "600"))
SMS_QUEUED_STALE_AFTER = int(os.environ.get("SMS_QUEUED_STALE_AFTER", "1800"))
# A retry this late was lost with the broker (a Redis restart): the sweeper enqueues it again.
SMS_RETRY_LOST_AFTER = int(os.environ.get("SMS_RETRY_LOST_AFTER", "300"))
SMS_RECEIPT_MATCH_WINDOW = int(os.environ.get("SMS_RECEIPT_MATCH_WINDOW", "3600"))
SMS_OPT_OUT_CONFIRM = env_bool("SMS_OPT_OUT_CONFIRM", True)
CELERY_BEAT_SCHEDULE["messaging-sweep"] = {"task": "messaging.tasks.sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["messaging-apply-receipts"] = {"task": "messaging.tasks.apply_receipts", "schedule": 15.0}
# payments whose run to send the receipt SMS was asked for and lost (a worker restarted)
CELERY_BEAT_SCHEDULE["messaging-payment-receipts"] = {"task": "messaging.tasks.send_payment_receipts",
                                                      "schedule": 60.0}

# --- dispatch -------------------------------------------------------------------
# Work-order SMS go out from the work-order topic of this name (a station's own
# first); without one, built-in wording is used.
DISPATCH_TOPICS = {
    "assigned": os.environ.get("DISPATCH_TOPIC_ASSIGNED", "派单通知"),
    "released": os.environ.get("DISPATCH_TOPIC_RELEASED", "改派通知"),
    "cancelled": os.environ.get("DISPATCH_TOPIC_CANCELLED", "工单取消通知"),
    "reminder": os.environ.get("DISPATCH_TOPIC_REMINDER", "催办通知"),
    "escalation": os.environ.get("DISPATCH_TOPIC_ESCALATION", "督办通知"),
}
DISPATCH_ACCEPT_REMINDER_MINUTES = int(os.environ.get("DISPATCH_ACCEPT_REMINDER_MINUTES", "30"))
DISPATCH_ESCALATE_OVERDUE = env_bool("DISPATCH_ESCALATE_OVERDUE", True)
CELERY_BEAT_SCHEDULE["dispatch-sweep"] = {"task": "dispatch.tasks.sweep", "schedule": 60.0}
# --- campaigns ------------------------------------------------------------------
# Marketing notices are not sent in quiet hours ("20:00-08:00", local time; empty: none):
# a campaign that would start or go on then is held until the window ends.
_quiet = os.environ.get("CAMPAIGN_QUIET_HOURS", "20:00-08:00").strip()
CAMPAIGN_QUIET_HOURS = tuple(part.strip() for part in _quiet.split("-", 1)) if _quiet else None
# Customers per chunk: one transaction, one claim insert, one messages_create_bulk call.
CAMPAIGN_CHUNK_SIZE = int(os.environ.get("CAMPAIGN_CHUNK_SIZE", "10000"))
# A running campaign whose worker has not written a chunk for this long is picked up again by beat's sweep
# (a SIGKILLed worker's task stays unacknowledged on Redis until the visibility timeout).
CAMPAIGN_STALE_AFTER = int(os.environ.get("CAMPAIGN_STALE_AFTER", "300"))
CELERY_BEAT_SCHEDULE["campaigns-sweep"] = {"task": "campaigns.tasks.sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["campaigns-dunning"] = {"task": "campaigns.tasks.run_dunning", "schedule": 900.0}
# --- billing ----------------------------------------------------------------
# Payments above what is owed become credit on the latest season (预存) only if allowed.
BILLING_ALLOW_PREPAYMENT = env_bool("BILLING_ALLOW_PREPAYMENT", False)
# Waivers and allowances above this many yuan wait for a second person's approval.
BILLING_ADJUSTMENT_APPROVAL_THRESHOLD = Decimal(os.environ.get("BILLING_ADJUSTMENT_APPROVAL_THRESHOLD", "500"))

# --- reports ------------------------------------------------------------------
# Exports up to this many rows are written in the request and downloaded at once;
# larger ones run on a worker with a progress bar and a download link.
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "5000"))
# Rows per sheet including the header (Excel's limit; lower only for tests).
EXPORT_SHEET_MAX_ROWS = min(int(os.environ.get("EXPORT_SHEET_MAX_ROWS", "1048576")), 1048576)
EXPORT_RETENTION_HOURS = int(os.environ.get("EXPORT_RETENTION_HOURS", "72"))
# An export not finished this many seconds after it started is given up.
EXPORT_STALE_AFTER = int(os.environ.get("EXPORT_STALE_AFTER", "7200"))
CELERY_BEAT_SCHEDULE["reports-expire-exports"] = {"task": "reports.tasks.expire_exports",
                                                  "schedule": crontab(minute=35)}

# --- logging --------------------------------------------------------------
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")  # "json" for one JSON object per line
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_phones": {"()": "core_billing.logs.MaskPhonesFilter"},
        "redact": {"()": "messaging.logfilters.RedactSecrets"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain",
                             "filters": ["redact", "mask_phones"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- metrics ----------------------------------------------------------------
# /metrics answers loopback scrapes, and others that send "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- online payments and pay links (core_billing) ----------------------------------
def _pem(name: str) -> str:
    """A key given inline (PEM text) or as the path of a PEM file."""
    value = os.environ.get(name, "").strip()
    if value and not value.startswith("-----") and Path(value).is_file():
        return Path(value).read_text()
    return value.replace("\\n", "\n")


PAY_LINK_TTL_DAYS = int(os.environ.get("PAY_LINK_TTL_DAYS", "30"))
# An instalment paid online is at least this many yuan (or everything owed, if less).
PAY_MIN_INSTALMENT = Decimal(os.environ.get("PAY_MIN_INSTALMENT", "100"))
# The providers offered on the pay page, in this order (names in PAYMENT_PROVIDERS).
PAYMENT_PROVIDERS_OFFERED = env_list("PAYMENT_PROVIDERS_OFFERED", "simulator")
PAYMENT_PROVIDERS = {
    "simulator": {
        "BACKEND": "core_billing.payments.simulator.SimulatorProvider",
        # The bundled checkout (/paysim/) signs its notifications with this.
        "SECRET": os.environ.get("PAYSIM_SECRET") or _hashlib.sha256(f"nuanxin-paysim:{SECRET_KEY}".encode()).hexdigest(),
        "NOTIFY_DELAY_MS": int(os.environ.get("PAYSIM_NOTIFY_DELAY_MS", "0")),
    },
    "alipay": {
        "BACKEND": "core_billing.payments.alipay.AlipayProvider",
        "APP_ID": os.environ.get("ALIPAY_APP_ID", ""),
        "PRIVATE_KEY": _pem("ALIPAY_PRIVATE_KEY"),
        "ALIPAY_PUBLIC_KEY": _pem("ALIPAY_PUBLIC_KEY"),
        "GATEWAY": os.environ.get("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do"),
    },
    "wechatpay": {
        "BACKEND": "core_billing.payments.wechatpay.WechatPayProvider",
        "APP_ID": os.environ.get("WECHATPAY_APP_ID", ""),
        "MCH_ID": os.environ.get("WECHATPAY_MCH_ID", ""),
        "SERIAL_NO": os.environ.get("WECHATPAY_SERIAL_NO", ""),
        "PRIVATE_KEY": _pem("WECHATPAY_PRIVATE_KEY"),
        "PLATFORM_PUBLIC_KEY": _pem("WECHATPAY_PLATFORM_PUBLIC_KEY"),
        "API_V3_KEY": os.environ.get("WECHATPAY_API_V3_KEY", ""),
        "API_BASE": os.environ.get("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com"),
        "TIMEOUT": float(os.environ.get("WECHATPAY_TIMEOUT", "10")),
    },
}
# Customer self-service (look up bills by account number + an SMS code).
SELF_SERVICE_CODE_TTL = int(os.environ.get("SELF_SERVICE_CODE_TTL", "300"))
SELF_SERVICE_CODE_ATTEMPTS = int(os.environ.get("SELF_SERVICE_CODE_ATTEMPTS", "5"))
SELF_SERVICE_CODES_PER_PHONE_HOUR = int(os.environ.get("SELF_SERVICE_CODES_PER_PHONE_HOUR", "5"))
SELF_SERVICE_CODE_INTERVAL = int(os.environ.get("SELF_SERVICE_CODE_INTERVAL", "60"))
SELF_SERVICE_REQUESTS_PER_IP_HOUR = int(os.environ.get("SELF_SERVICE_REQUESTS_PER_IP_HOUR", "20"))
SELF_SERVICE_SESSION_MINUTES = int(os.environ.get("SELF_SERVICE_SESSION_MINUTES", "30"))
