"""The render worker as a module: it runs as a script inside the sandbox and is never imported
by the server, so unit tests of its pieces load it from its file."""

import importlib.util
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[2] / "jiandu" / "redaction" / "render_worker.py"


@pytest.fixture(scope="session")
def worker():
    spec = importlib.util.spec_from_file_location("render_worker_under_test", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
