"""gunicorn settings for `jiandu serve`: threads for long uploads, no access log, no version."""

import os

import gunicorn.http.wsgi

# The Server header names no version (gunicorn sends only its bare name; we send ours).
gunicorn.http.wsgi.SERVER = "jiandu"

wsgi_app = "jiandu.wsgi:application"
workers = int(os.environ.get("JIANDU_WORKERS", str(max(2, (os.cpu_count() or 1)))))
worker_class = "gthread"
threads = int(os.environ.get("JIANDU_THREADS", "8"))
timeout = 120
graceful_timeout = 30
keepalive = 5
# No access log: it would hold client addresses. Errors go to stderr without them: gunicorn
# names the client of a malformed request in its error log, so its logger redacts addresses.
accesslog = None
errorlog = "-"
loglevel = "warning"
logger_class = "jiandu.core.gunicorn_log.AddresslessLogger"
# Never trust forwarding headers: the client address is not wanted anyway.
forwarded_allow_ips = ""
proxy_allow_ips = ""
