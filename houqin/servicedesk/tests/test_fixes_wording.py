"""One spelling of the worker's time in every user-visible string: "labour", as in every
msgid of the catalogue ("labour (min)", "Labour (minutes)", "hours of labour"…). "labor" stays
only in identifiers (the field labor_minutes, the API's `labor_minutes`), which are no UI text."""

import io
import re
import tokenize
from pathlib import Path

from houqin.servicedesk.models import WorkOrder

APP = Path(__file__).resolve().parents[1]
# "labor" as a word of its own: labor_minutes is an identifier, not text.
AMERICAN = re.compile(r"(?<![\w])labor(?![\w])", re.IGNORECASE)


def texts(path: Path):
    """(line, text) of every string literal of a Python file, or every line of a template."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        yield from enumerate(source.splitlines(), 1)
        return
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            yield token.start[0], token.string


def test_the_field_says_labour():
    assert str(WorkOrder._meta.get_field("labor_minutes").verbose_name) == "labour (min)"


def test_no_text_of_the_service_desk_spells_it_labor():
    files = [*APP.glob("*.py"), *APP.glob("*/*.py"), *APP.glob("templates/**/*.html")]
    found = [
        f"{path.relative_to(APP)}:{line}"
        for path in files
        if "tests" not in path.parts and "migrations" not in path.parts
        for line, text in texts(path)
        if AMERICAN.search(text)
    ]
    assert found == []
