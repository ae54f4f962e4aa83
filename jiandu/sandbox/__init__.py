"""The sandbox: shared machinery that runs untrusted parsers and encoders (docs/architecture.md).

A ground-floor room used by forensics (previews, metadata), cases (evidence images) and
redaction (renders): `runner.run_sandboxed` through `jail.py` under bubblewrap (`isolation.py`)
and a seccomp filter (`seccomp.py`), the weak-jail setting (`conf.py`), the start-up check
(`checks.py`), and `inside/`, the few stdlib-and-Pillow modules the workers import inside the
walls (their exit codes, their answer's format, the one Pillow re-encoder).
"""
