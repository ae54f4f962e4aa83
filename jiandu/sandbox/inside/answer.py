"""The one contract between a sandboxed worker and the server: its exit codes and its answer.

Standard library only: it is imported by the workers inside the sandbox (as `answer`, from this
folder on their `sys.path`) and by the server (as `jiandu.sandbox.inside.answer`). A worker ends
with an `ExitCode`; when it succeeds its stdout is the answer: one line of JSON (the header, a
JSON object, ASCII only so it holds no newline), then the bytes the header describes.
`read_answer` is the server's only way to split it, with a bound on the header, so a hostile
answer from an exploited worker is refused by shape before anything reads it.
"""

import enum
import json
import sys


class ExitCode(enum.IntEnum):
    """Why a worker gave no answer. The same numbers for every worker; the server maps them to
    its own problems (a preview's, a report's, a render's, an evidence image's)."""

    OK = 0
    BROKEN = 2  # not a readable file of the kind (any parser error on hostile input)
    MEMORY = 3  # out of memory while decoding
    TOO_MANY_PIXELS = 4  # a decompression bomb: the declared size is over the limit
    TOO_LARGE = 5  # more input than MAX_INPUT
    EMPTY = 6  # no input at all
    UNSUPPORTED = 7  # not a type this worker accepts
    BAD_RECIPE = 8  # the render's arguments are not of the expected shape
    NO_DETECTOR = 9  # the face detector's weights are missing


class Unsupported(Exception):
    """The input is not of a type the worker accepts (ExitCode.UNSUPPORTED)."""


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for what a worker raised while reading hostile input."""
    if isinstance(exc, Unsupported):
        return ExitCode.UNSUPPORTED
    if isinstance(exc, MemoryError):
        return ExitCode.MEMORY
    image = sys.modules.get("PIL.Image")  # only when Pillow was loaded: no import here
    if image is not None and isinstance(
        exc, image.DecompressionBombError | image.DecompressionBombWarning
    ):
        return ExitCode.TOO_MANY_PIXELS
    return ExitCode.BROKEN


def read_input(max_input: int) -> bytes | ExitCode:
    """The whole of stdin (a pipe), or TOO_LARGE past `max_input` bytes, or EMPTY."""
    data = sys.stdin.buffer.read(max_input + 1)
    if len(data) > max_input:
        return ExitCode.TOO_LARGE
    if not data:
        return ExitCode.EMPTY
    return data


def write_answer(header: dict, *parts: bytes) -> int:
    """Write the answer on stdout (the header line, then `parts` in order); ExitCode.OK."""
    out = sys.stdout.buffer
    out.write(json.dumps(header, ensure_ascii=True).encode() + b"\n")
    for part in parts:
        out.write(part)
    out.flush()
    return ExitCode.OK


def read_answer(stdout: bytes, header_max: int) -> tuple[dict, bytes]:
    """(header, the bytes after it) from a worker's stdout; ValueError when the answer is not
    of that shape (no newline, a header over `header_max` bytes, not a JSON object)."""
    header_line, newline, body = stdout.partition(b"\n")
    if not newline or len(header_line) > header_max:
        raise ValueError("no header")
    header = json.loads(header_line)
    if not isinstance(header, dict):
        raise ValueError("the header is not an object")
    return header, body
