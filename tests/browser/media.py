"""Waiting for a video's metadata in a page whose CSP forbids eval: Playwright's
wait_for_function polls a string predicate through eval, which the page refuses as soon as a
second poll is needed; page.evaluate is not subject to it."""


def wait_for_metadata(page, selector: str, polls: int = 150) -> None:
    """Until the video at `selector` has its metadata (readyState >= 1), at most ~15 s."""
    for _ in range(polls):
        if page.evaluate(f"document.querySelector({selector!r}).readyState") >= 1:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} never loaded its metadata")
