"""Pinyin keys so that typing "xnk" finds 心内科."""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# The length of MasterDataModel.search_text.
SEARCH_TEXT_LENGTH = 500

# Spaces, brackets and punctuation, ASCII and full-width: between the parts of a path ("门诊楼 / 3楼")
# or around a note in a name ("安保班（外包）"). Dropped from the compact forms and the full pinyin.
_SEPARATORS = re.compile(r"[\s/\\|,.;:!?'\"·•・、，。；：！？／＼｜＿－—–~～()（）\[\]【】{}《》〈〉<>「」『』“”‘’_-]+")
# The same, kept by re.split() between the pieces.
_SEPARATED = re.compile(f"({_SEPARATORS.pattern})")


@lru_cache(maxsize=20000)
def search_key(text: str) -> str:
    """Lower-case text, its pinyin initials and its full pinyin, space separated.

    Non-Chinese characters pass through unchanged, so codes like "A1-3F" stay searchable.
    Text with separators also gets compact forms of itself and of its initials, so "mzl3" and
    "门诊楼3楼" find "门诊楼 / 3楼" as well as "mzl 3" does, and "abbwb" finds "安保班(外包)".
    The full pinyin is kept compact only ("anbaobanwaibao"): each word typed is matched anywhere.

    English words stay apart in the compact forms: a space between two words of Latin letters
    is a word break, not a separator to drop. Joined, "and questions" would read "andquestions",
    whose "dq" looks like the initials of 电气 and finds a category named "Meal orders and questions".
    """
    text = (text or "").strip()
    if not text:
        return ""
    pieces = _SEPARATED.split(text.lower())
    initials_parts, compact_parts, compact_initials, full_parts = [], [], [], []
    # Pinyin never spans a separator, so each piece between them is converted (and cached) alone:
    # the pieces of a location's path repeat on thousands of rows.
    for index, piece in enumerate(pieces):
        if index % 2:
            initials_parts.append(piece)
            joint = " " if _between_words(pieces, index) else ""
            compact_parts.append(joint)
            compact_initials.append(joint)
            full_parts.append(joint)
        elif piece:
            piece_initials, piece_full = _pinyin(piece)
            initials_parts.append(piece_initials)
            compact_parts.append(piece)
            compact_initials.append(piece_initials)
            full_parts.append(piece_full)
    parts = [text.lower()]
    # Full pinyin last: it is the longest and the least typed, so the first to lose to max_length.
    for part in ("".join(initials_parts), "".join(compact_parts), "".join(compact_initials), "".join(full_parts)):
        if part and part not in parts:
            parts.append(part)
    return " ".join(parts)


_LATIN_WORD = re.compile(r"[a-z]+")


def _between_words(pieces: list[str], index: int) -> bool:
    """Whether the separator pieces[index] is a space between two English words."""
    return (
        any(char.isspace() for char in pieces[index])
        and _LATIN_WORD.fullmatch(pieces[index - 1]) is not None
        and _LATIN_WORD.fullmatch(pieces[index + 1]) is not None
    )


@lru_cache(maxsize=50000)
def _pinyin(piece: str) -> tuple[str, str]:
    """(initials, full pinyin) of lower-case text without separators; what has no pinyin is kept."""
    initials = "".join(lazy_pinyin(piece, style=Style.FIRST_LETTER, errors="default"))
    full = "".join(lazy_pinyin(piece, errors="default"))
    return initials, full


def search_text_of(values) -> str:
    """The search_text of a record from the values of its search fields, as
    MasterDataModel.build_search_text() makes it."""
    keys = (search_key(str(value or "")) for value in values)
    return " ".join(key for key in keys if key)[:SEARCH_TEXT_LENGTH]


def rebuild_search_text(model, search_fields, *, batch_size: int = 500) -> int:
    """Recompute search_text on every row of `model` (a historical model in a data migration
    too, which knows neither search_fields nor build_search_text: hence the field names) and
    write the rows whose text changed, one bulk_update per batch. Returns how many changed.

    Reads in primary-key pages rather than through one open cursor: SQLite must not update a
    table a cursor is still reading, and OFFSET would rescan the table for every page."""
    manager = model._base_manager
    changed = 0
    last_pk = None
    while True:
        page = manager.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", "search_text", *search_fields)[:batch_size])
        if not rows:
            return changed
        stale = []
        for pk, stored, *values in rows:
            text = search_text_of(values)
            if text != stored:
                stale.append(model(pk=pk, search_text=text))
        if stale:
            manager.bulk_update(stale, ["search_text"])
            changed += len(stale)
        last_pk = rows[-1][0]
