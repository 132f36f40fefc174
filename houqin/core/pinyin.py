"""Pinyin keys so that typing "xnk" finds 心内科."""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Spaces and punctuation between the parts of a path ("门诊楼 / 3楼"), dropped in the compact forms.
_SEPARATORS = re.compile(r"[\s/\\|,.;:·、，。_-]+")


@lru_cache(maxsize=20000)
def search_key(text: str) -> str:
    """Lower-case text, its pinyin initials and its full pinyin, space separated.

    Non-Chinese characters pass through unchanged, so codes like "A1-3F" stay searchable.
    Text with separators also gets compact forms of itself and of its initials, so "mzl3" and
    "门诊楼3楼" find "门诊楼 / 3楼" as well as "mzl 3" does.
    """
    text = (text or "").strip()
    if not text:
        return ""
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    full = "".join(lazy_pinyin(text, errors="default")).lower()
    parts = [text.lower()]
    # Full pinyin last: it is the longest and the least typed, so the first to lose to max_length.
    for part in (initials, _SEPARATORS.sub("", text.lower()), _SEPARATORS.sub("", initials), full):
        if part and part not in parts:
            parts.append(part)
    return " ".join(parts)
