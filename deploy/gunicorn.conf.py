"""gunicorn for auditreg behind the kit's nginx (deploy/nginx/auditreg.conf).

Listens on loopback only: nothing but nginx can reach it, so the X-Forwarded-* headers it receives
are the ones nginx wrote (the settings trust them: SECURE_PROXY_SSL_HEADER, TRUSTED_PROXY_COUNT)."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = 120  # the largest exports (30,000-row Excel) take seconds, not minutes
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then (long-running Python processes grow)
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"
errorlog = "-"
