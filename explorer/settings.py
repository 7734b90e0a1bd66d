"""Django settings, all read from environment variables with defaults that make `make run` work.

A malformed value stops the start with a message naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from explorer.config import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    is_loopback_host,
    secret_key,
)
from explorer.sources.factory import SOURCE_KINDS

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Served under loopback names only, as `make run` serves it: this decides the defaults of
# DJANGO_SECRET_KEY and EXPLORER_CONTROLS (README, "Security").
LOOPBACK_ONLY = all(is_loopback_host(host) for host in ALLOWED_HOSTS)
DATABASE_PATH = Path(env_str("EXPLORER_DB_PATH", default="") or BASE_DIR / "db.sqlite3")
SECRET_KEY = secret_key(
    env_str("DJANGO_SECRET_KEY", default=""),
    key_file=DATABASE_PATH.with_name("explorer-secret-key"),
    local=LOOPBACK_ONLY or DEBUG,
)

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and WebSocket on one port
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "explorer.web",
]

MIDDLEWARE = [
    # The headers every answer carries, the health probe's too.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "explorer.web.headers.ContentSecurityPolicyMiddleware",
    # Before anything reads the Host: a kubelet's probe names the pod's IP, which no allow-list knows.
    "explorer.web.middleware.HealthProbeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "explorer.web.access.ControlsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "explorer.web.middleware.StoreUnavailableMiddleware",
]

ROOT_URLCONF = "explorer.urls"
ASGI_APPLICATION = "explorer.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "explorer.web.access.controls",
            ],
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATABASE_PATH),
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

CSRF_FAILURE_VIEW = "explorer.web.errors.csrf_failure"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Served over HTTPS (by daphne itself or a proxy in front): cookies only over TLS, HTTP redirected, HSTS.
HTTPS = env_bool("DJANGO_HTTPS", default=False)
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    # Only behind a proxy that sets this header itself: a client could send it too.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a liveness probe speaks plain HTTP to the pod
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
# Asking browsers to preload the domain is its owner's decision (DJANGO_HSTS_PRELOAD), not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
# The csrftoken cookie stays readable: scripts (and the tour page) send its value back, as Django documents.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "explorer.live.redis_layer.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s read timeout races channels_redis's 5 s blocking pop.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 10, "socket_connect_timeout": 2}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000, "expiry": 30}}
    }

# The explorer's own settings (DESIGN.md, "Environment").
EXPLORER_SOURCE = env_choice("EXPLORER_SOURCE", SOURCE_KINDS, default="sim")
EXPLORER_SCENARIO = env_str("EXPLORER_SCENARIO", default="steady-state")
EXPLORER_NODES = env_int("EXPLORER_NODES", default=0, minimum=0, maximum=5000)
# The Kubernetes release every simulated scenario follows ("v1.31"); empty: each scenario's kubernetesVersion.
EXPLORER_KUBERNETES_VERSION = env_str("EXPLORER_KUBERNETES_VERSION", default="")
EXPLORER_SEED = env_int("EXPLORER_SEED", default=1, minimum=0)
EXPLORER_SPEED = env_float("EXPLORER_SPEED", default=1.0, minimum=0.25, maximum=100.0)
EXPLORER_CONTEXT = env_str("EXPLORER_CONTEXT", default="")
EXPLORER_REPLAY_FILE = env_str("EXPLORER_REPLAY_FILE", default="")
# A replay waits at its first line, paused, for someone to press play; these start it at once, and again at its end.
EXPLORER_REPLAY_AUTOPLAY = env_bool("EXPLORER_REPLAY_AUTOPLAY", default=False)
EXPLORER_REPLAY_LOOP = env_bool("EXPLORER_REPLAY_LOOP", default=False)
KUBECONFIG = os.environ.get("KUBECONFIG", "")
# Who may drive the simulation and switch contexts: open, presenter or off (README, "Security").
EXPLORER_CONTROLS = env_choice(
    "EXPLORER_CONTROLS", ("open", "presenter", "off"), default="open" if LOOPBACK_ONLY else "presenter"
)
# Open only by default: then only a browser on this machine drives (another could forge a loopback Host).
EXPLORER_CONTROLS_LOOPBACK_CLIENTS = EXPLORER_CONTROLS == "open" and not os.environ.get("EXPLORER_CONTROLS")
# How long a presenter token waits to be used, and a presenter's room and session last.
EXPLORER_PRESENTER_HOURS = env_int("EXPLORER_PRESENTER_HOURS", default=12, minimum=1, maximum=24 * 14)
SESSION_COOKIE_AGE = EXPLORER_PRESENTER_HOURS * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("EXPLORER_LOG_LEVEL", ("DEBUG", "INFO", "WARNING"), default="INFO"),
    },
}
