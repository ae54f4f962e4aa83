"""The one contract between the four sandboxed workers and the server (jiandu/sandbox/inside/).

Each worker runs as a script with `python -I` (no project on its path) and must still find the
shared exit codes, answer writer and re-encoder; each answers EMPTY with the same number, and
the server's one reader refuses an answer that is not "a header line, then bytes".
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from jiandu.sandbox.inside.answer import ExitCode, read_answer

ROOMS = Path(__file__).resolve().parents[2] / "jiandu"
WORKERS = {
    "image": [ROOMS / "forensics" / "image_worker.py", "1000000", "100", "1000000"],
    "metadata": [ROOMS / "forensics" / "metadata_worker.py", "image", "1000000", "10"],
    "evidence": [ROOMS / "cases" / "evidence_worker.py", "1000000", "1000000"],
    "render": [ROOMS / "redaction" / "render_worker.py", "pdf", "{}", "-", "1000000", "1000000"],
}


def _run(argv: list, stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", *map(str, argv)], input=stdin, capture_output=True, timeout=60
    )


@pytest.mark.parametrize("worker", sorted(WORKERS))
def test_every_worker_answers_with_the_shared_exit_codes(worker):
    done = _run(WORKERS[worker], b"")
    assert done.returncode == ExitCode.EMPTY, done.stderr.decode(errors="replace")[-500:]


@pytest.mark.parametrize("worker", sorted(WORKERS))
def test_no_worker_defines_its_own_exit_codes(worker):
    tree = ast.parse(WORKERS[worker][0].read_text())
    imported = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "answer"
        for alias in node.names
    }
    assert "ExitCode" in imported
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in ast.walk(node)
        if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store)
    }
    assert not assigned & {member.name for member in ExitCode}


def test_a_file_of_another_type_is_unsupported_for_both_pillow_workers():
    for worker in ("image", "evidence"):
        assert _run(WORKERS[worker], b"GIF87a not really").returncode == ExitCode.UNSUPPORTED


def test_the_answer_is_a_header_line_then_bytes():
    done = _run(WORKERS["evidence"], _tiny_png())
    assert done.returncode == ExitCode.OK
    header, body = read_answer(done.stdout, 4096)
    assert header == {"extension": "png", "content_type": "image/png", "width": 3, "height": 2}
    assert body.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    "stdout",
    [b"no newline at all", b"[1, 2]\nbytes", b"x" * 5000 + b"\n", b"{not json\nbytes"],
)
def test_the_reader_refuses_an_answer_of_another_shape(stdout):
    with pytest.raises(ValueError):
        read_answer(stdout, 4096)


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()
