"""The work the drills interrupt, over HTTP through nginx as browsers would do it.

- `Uploader`: a new source each time (GET the form, POST a message and a PNG of random pixels).
  A 302 to the receipt is the acknowledgement: from then on the file must be in the vault. Its
  SHA-256 is recorded.
- `Editors`: editor A signs in (password + TOTP), opens the inbox (which hands newly arrived
  files to the workers for analysis) and asks for the previews of three sources of its first
  page (preview renders in the workers); adds a claim with a unique text and submits the
  case; editor B publishes it. A 302 from the publish step is the acknowledgement; the
  claim's text is recorded.

Errors (refused connections, 502 while nginx has no live web process, 5xx) are counted and the
work goes on; nothing unacknowledged is expected to survive.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field

import pyotp
import requests

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SOURCE_LINK = re.compile(r"/en/newsroom/sources/(\d+)/")


def random_png(side: int = 48) -> bytes:
    """A small valid PNG of random pixels: every upload differs, and previews can render it."""
    from PIL import Image

    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    acked_uploads: list[str] = field(default_factory=list)
    acked_publications: list[str] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, table: dict[str, int], key: str) -> None:
        with self.lock:
            table[key] = table.get(key, 0) + 1


def _token(page: str) -> str:
    found = TOKEN.search(page)
    if found is None:
        raise requests.RequestException("no CSRF token on the page")
    return found.group(1)


class Uploader(threading.Thread):
    def __init__(self, base: str, tally: Tally, stop: threading.Event, pause: float = 0.2):
        super().__init__(daemon=True)
        self.base, self.tally, self.stop, self.pause = base, tally, stop, pause

    def once(self) -> None:
        with requests.Session() as http:
            page = http.get(f"{self.base}/en/submit/", timeout=30)
            if page.status_code != 200:
                raise requests.RequestException(f"form answered {page.status_code}")
            data = random_png()
            digest = hashlib.sha256(data).hexdigest()
            answer = http.post(
                f"{self.base}/en/submit/",
                data={"csrfmiddlewaretoken": _token(page.text), "style": "en", "message": "drill"},
                files=[("files", (f"drill-{digest[:8]}.png", data, "image/png"))],
                allow_redirects=False,
                timeout=60,
            )
            if answer.status_code == 302:
                with self.tally.lock:
                    self.tally.acked_uploads.append(digest)
            else:
                raise requests.RequestException(f"upload answered {answer.status_code}")

    def run(self) -> None:
        while not self.stop.is_set():
            self.tally.count(self.tally.attempts, "upload")
            try:
                self.once()
            except requests.RequestException as exc:
                self.tally.count(self.tally.errors, f"upload: {_kind(exc)}")
                self.stop.wait(0.5)
            self.stop.wait(self.pause)


def _kind(exc: Exception) -> str:
    text = str(exc)
    found = re.search(r"(\w+) answered (\d+)", text)
    return found.group(0) if found else type(exc).__name__


class Member:
    """A signed-in newsroom member's browser session."""

    def __init__(self, base: str, username: str, password: str, totp: str):
        self.base, self.username, self.password = base, username, password
        self.totp = pyotp.TOTP(totp)
        self.http = requests.Session()
        self.last_code = ""

    def sign_in(self) -> None:
        self.http.cookies.clear()
        page = self.http.get(f"{self.base}/en/newsroom/", timeout=30)
        answer = self.http.post(
            f"{self.base}/en/newsroom/",
            data={
                "csrfmiddlewaretoken": _token(page.text),
                "username": self.username,
                "password": self.password,
            },
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302:
            raise requests.RequestException(f"password step answered {answer.status_code}")
        code = self.totp.now()
        while code == self.last_code:  # a code is accepted once
            time.sleep(1)
            code = self.totp.now()
        page = self.http.get(f"{self.base}/en/newsroom/verify/", timeout=30)
        answer = self.http.post(
            f"{self.base}/en/newsroom/verify/",
            data={"csrfmiddlewaretoken": _token(page.text), "code": code},
            allow_redirects=False,
            timeout=60,
        )
        self.last_code = code
        if answer.status_code != 302:
            raise requests.RequestException(f"code step answered {answer.status_code}")

    def get(self, path: str) -> str:
        answer = self.http.get(f"{self.base}{path}", timeout=60, allow_redirects=False)
        if (
            answer.status_code == 302
            and "/newsroom/" in answer.headers.get("Location", "")
            and ("next=" in answer.headers.get("Location", ""))
        ):
            raise SignedOut
        if answer.status_code != 200:
            raise requests.RequestException(f"GET answered {answer.status_code}")
        return answer.text

    def post(self, path: str, data: dict[str, str], page: str) -> requests.Response:
        answer = self.http.post(
            f"{self.base}{path}",
            data={"csrfmiddlewaretoken": _token(self.get(page)), **data},
            allow_redirects=False,
            timeout=120,
        )
        if answer.status_code != 302:
            raise requests.RequestException(f"POST answered {answer.status_code}")
        return answer


class SignedOut(requests.RequestException):
    pass


class Editors(threading.Thread):
    """Editor A reads, asks for previews and prepares; editor B publishes."""

    def __init__(
        self,
        base: str,
        tally: Tally,
        stop: threading.Event,
        password: str,
        setup: dict,
        pause: float = 0.5,
    ):
        super().__init__(daemon=True)
        self.tally, self.stop, self.pause = tally, stop, pause
        self.a = Member(base, "drill-editor-a", password, setup["drill-editor-a"]["totp"])
        self.b = Member(base, "drill-editor-b", password, setup["drill-editor-b"]["totp"])
        self.case = setup["case_id"]
        self.n = 0
        self.stage = 0
        self.marker = ""

    def previews(self) -> None:
        inbox = self.a.get("/en/newsroom/sources/")  # hands new files to the workers
        listed = list(dict.fromkeys(SOURCE_LINK.findall(inbox)))
        for source in random.sample(listed, min(3, len(listed))):
            self.tally.count(self.tally.attempts, "preview request")
            self.a.post(
                f"/en/newsroom/sources/{source}/previews/", {}, f"/en/newsroom/sources/{source}/"
            )

    def step(self) -> None:
        """One stage of a publication (claim, submit, publish); a failed stage is tried again
        on the next step, a failed publication starts over with a new claim (if it did commit
        before the crash, the case is no longer submitted, and it was never acknowledged)."""
        workspace = f"/en/newsroom/cases/{self.case}/"
        if self.stage == 0:
            self.marker = f"drill claim {os.getpid()}-{time.monotonic_ns()}"
            self.tally.count(self.tally.attempts, "publication")
            self.a.post(
                f"{workspace}claim/", {"question_en": self.marker, "question_zh": ""}, workspace
            )
            self.stage = 1
        if self.stage == 1:
            self.a.post(f"{workspace}submit/", {"note_en": self.marker}, workspace)
            self.stage = 2
        if self.stage == 2:
            self.stage = 0
            self.b.post(f"{workspace}publish/", {}, workspace)
            with self.tally.lock:
                self.tally.acked_publications.append(self.marker)

    def run(self) -> None:
        signed_in = False
        while not self.stop.is_set():
            try:
                if not signed_in:
                    self.a.sign_in()
                    self.b.sign_in()
                    signed_in = True
                self.n += 1
                self.previews()
                self.step()
            except SignedOut:
                signed_in = False
            except requests.RequestException as exc:
                self.tally.count(self.tally.errors, f"editors: {_kind(exc)}")
                self.stop.wait(1.0)
            self.stop.wait(self.pause)
