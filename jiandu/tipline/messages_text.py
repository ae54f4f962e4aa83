"""What the source reads when something is refused: one place, every message translated."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiandu.core.sizes import format_size
from jiandu.tipline import throttle
from jiandu.tipline.codename import WORDS, ZH_WORD_LENGTH, ZH_WORDS, CodenameError
from jiandu.tipline.forms import MESSAGE_MAX_CHARACTERS
from jiandu.vault import conf
from jiandu.vault.uploads import Problem

# Unicode isolates around a name inside a sentence, so a right-to-left name cannot reorder it.
FIRST_STRONG_ISOLATE, POP_ISOLATE = "\u2068", "\u2069"


def refusal(code: str) -> str:
    largest = format_size(conf.max_file_bytes())
    texts = {
        "too_large": _(
            "This upload is larger than we accept at once (%(largest)s per file, "
            "%(count)d files per submission). Nothing was stored. Send fewer or smaller files."
        )
        % {"largest": largest, "count": conf.max_files_per_submission()},
        "disk_full": _(
            "We cannot take new files right now: the server is nearly out of space. Nothing was "
            "stored, and nothing you sent before is affected. Please try again later."
        ),
        "closed": _(
            "The tip line is not open yet: no journalist has set up their key. Nothing was "
            "stored. Please come back later."
        ),
        "broken": _(
            "Your browser's upload did not arrive complete, so nothing was stored. Go back and "
            "send it again; if it keeps failing, try fewer files at a time."
        ),
        "honeypot": _(
            "Your submission was refused because a hidden field was filled in, which usually "
            "means an automated program sent it. Nothing was stored."
        ),
        "text_too_long": text_too_long(),
        "source_limit": _(
            "This conversation has sent %(count)d submissions within the hour, the most we take "
            "from one conversation. Nothing was stored. Please wait an hour, or put several "
            "files into one submission."
        )
        % {"count": throttle.per_source_hour()},
        "signin_busy": _(
            "Many people are signing in at the moment, and checking a codename takes the server "
            "real work, so it checks only a few at once. Please wait a minute and try again. "
            "Your conversation is safe."
        ),
    }
    return texts[code]


def codename_unfinished() -> str:
    """A first submission stored while the server was busy: the codename is shown but still
    has to be derived, which this session does as soon as the server has a moment."""
    return _(
        "Your submission is stored. The server is still busy setting up your codename, so it "
        "does not work yet. Keep this page open and press the button again in a minute."
    )


def text_too_long() -> str:
    """Long text is welcome, as a file: the text box has a limit, files have a far larger one."""
    return _(
        "Your message is longer than the text box takes (%(count)s characters). Nothing was "
        "stored. Save the text as a file and attach it instead (files can be far larger), or "
        "send it in several shorter messages."
    ) % {"count": f"{MESSAGE_MAX_CHARACTERS:,}"}


def signin_wait(seconds: int) -> str:
    return ngettext(
        "Several codenames in a row did not match. Wait %(seconds)d second, then try again.",
        "Several codenames in a row did not match. Wait %(seconds)d seconds, then try again.",
        seconds,
    ) % {"seconds": seconds}


def problem(item: Problem) -> str:
    texts = {
        "empty": _("“%(name)s” was empty, so it was not kept."),
        "too_big": _("“%(name)s” is larger than %(largest)s, so it was not kept."),
        "too_many": _(
            "“%(name)s” was not kept: a submission holds at most %(count)d files. Send it in a "
            "new submission."
        ),
        "disk_full": _(
            "“%(name)s” was not kept: the server is nearly out of space. Try again later."
        ),
        "session_quota": _(
            "“%(name)s” was not started: %(quota)s is the most we hold for one "
            "conversation at a time while files are sent. Nothing of it was stored. Send the "
            "files already started (or remove one), then add this one."
        ),
        "staging_full": _(
            "“%(name)s” was not started: so many files are being sent to the tip line right "
            "now that there is no room to hold it as well. Nothing of it was stored, and "
            "nothing you sent before is affected. Please try again in an hour."
        ),
    }
    return texts[item.code] % {
        "name": FIRST_STRONG_ISOLATE + item.name + POP_ISOLATE,
        "largest": format_size(conf.max_file_bytes()),
        "count": conf.max_files_per_submission(),
        "quota": format_size(conf.staging_session_bytes()),
    }


def codename_error(error: CodenameError) -> str:
    if error.code == "empty":
        return _("Enter your codename.")
    if error.code == "too_long":
        return _("That is far longer than a codename. Check what you typed.")
    if error.code == "unknown_word":
        return _(
            "“%(word)s” is not a word codenames are made of. Check its spelling against what "
            "you wrote down."
        ) % {"word": error.detail}
    if error.code == "wrong_count" and error.script == "zh":
        count = int(error.detail)
        return ngettext(
            "A Chinese codename has %(words)d words of two characters (%(length)d characters; "
            "one given out before these words has %(old)d single characters). You typed "
            "%(count)d character.",
            "A Chinese codename has %(words)d words of two characters (%(length)d characters; "
            "one given out before these words has %(old)d single characters). You typed "
            "%(count)d characters.",
            count,
        ) % {
            "words": ZH_WORDS,
            "length": ZH_WORDS * ZH_WORD_LENGTH,
            "old": WORDS,
            "count": count,
        }
    if error.code == "wrong_count":
        count = int(error.detail)
        return ngettext(
            "A codename has %(expected)d words or characters; you typed %(count)d.",
            "A codename has %(expected)d words or characters; you typed %(count)d.",
            count,
        ) % {"expected": WORDS, "count": count}
    return _(
        "No conversation has this codename. Check each word against what you wrote down. If "
        "the codename is lost, nobody can recover it: start again with a new submission."
    )


def resumable_error(code: str, name: str = "") -> str:
    """Errors of the resumable upload, shown by the page's JavaScript."""
    if code in {"too_big", "empty", "too_many", "disk_full", "session_quota", "staging_full"}:
        from jiandu.vault.uploads import Problem

        return problem(Problem(code, name))
    if code == "offset":
        return _("The upload and the server disagree about how much was sent; resuming.")
    if code == "unknown":
        return _("This upload is no longer known to the server (the session may have ended).")
    if code == "done":
        return _("This file is already complete.")
    if code == "checksum":
        return _("A piece of the file arrived damaged and was not kept; it is sent again.")
    if code == "version":
        return _("This upload program speaks another version of the upload protocol (tus 1.0.0).")
    if code == "not_same":
        return _(
            "This is not the file you started sending: its beginning differs. Choose the same "
            "file to continue, or remove the unfinished upload and send this one anew."
        )
    return _("The connection dropped during the upload; it resumes where it stopped.")
