"""Pinyin keys so that typing "xnk" finds 心内科."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def search_key(text: str) -> str:
    """Lower-case text, its pinyin initials and its full pinyin, space separated.

    Non-Chinese characters pass through unchanged, so codes like "A1-3F" stay searchable.
    """
    text = (text or "").strip()
    if not text:
        return ""
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    full = "".join(lazy_pinyin(text, errors="default")).lower()
    parts = [text.lower()]
    for part in (initials, full):
        if part and part not in parts:
            parts.append(part)
    return " ".join(parts)
