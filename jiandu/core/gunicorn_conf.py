"""gunicorn settings for `jiandu serve`: threads for long uploads, a read budget per request, no
access log, no version."""

import os

import gunicorn.http.wsgi

# The Server header names no version (gunicorn sends only its bare name; we send ours).
gunicorn.http.wsgi.SERVER = "jiandu"

wsgi_app = "jiandu.wsgi:application"
workers = int(os.environ.get("JIANDU_WORKERS", str(max(2, (os.cpu_count() or 1)))))
# gthread with a read budget per request: a body sent a byte a second is cut off
# (jiandu.core.gunicorn_worker; JIANDU_REQUEST_READ_SECONDS, JIANDU_REQUEST_MIN_BYTES_PER_SECOND).
worker_class = "jiandu.core.gunicorn_worker.PacedThreadWorker"
threads = int(os.environ.get("JIANDU_THREADS", "8"))
# The worker's heartbeat: a worker whose main loop is stuck this long is killed and replaced.
# (In gthread it does not bound a request: the read budget above does.)
timeout = 120
# On a restart, requests in flight get this long to finish (a download, a tus piece).
graceful_timeout = 30
# An idle kept-alive connection waits on the poller, holding no thread, this long.
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
