"""The tus drill against a real `jiandu serve` (bench/tus_drill.py): right after `jiandu demo`,
tuspy (a stock tus client) sends a 30 MB file in 5 MB pieces, stops after a third, a piece is
cut in half by a server crash (SIGKILL of every process), the server starts again, and tuspy,
given only the upload URL, resumes with piece checksums; the receipt's SHA-256 matches and
neither the file's marker nor its name is anywhere on the disk or in the log. The same drill
with 300 MB: `.venv/bin/python -m bench.tus_drill`."""

from pathlib import Path

import pytest

from bench.tus_drill import run_drill

pytestmark = pytest.mark.timeout(240)


def test_tuspy_resumes_across_a_stop_and_a_server_crash_and_the_receipt_matches(
    tmp_path: Path,
):
    result = run_drill(tmp_path / "drill", megabytes=30, chunk_mb=5)
    assert result["receipt_has_sha256"], result
    # Resumed where the first client stopped: nothing acknowledged was lost in the crash.
    assert result["resumed_from"] == 10 * 1024 * 1024
    assert result["disk_hits"] == []
