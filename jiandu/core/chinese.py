"""Chinese in either script, shown in the reader's: OpenCC's s2tw and t2s.

Character conversion only, with Taiwan's standard character forms (such as 為) and no regional
rephrasing, so names and terms stay as written. Used by the public tracker's content
(jiandu/cases/text.py) and the tip line's questionnaire (a Traditional label left empty is
made from the Simplified one).
"""

from functools import lru_cache

import opencc

_S2T = opencc.OpenCC("s2tw")
_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    return _T2S.convert(text) if text else ""


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    return _S2T.convert(text) if text else ""
