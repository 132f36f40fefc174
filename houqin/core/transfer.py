"""Import and export of lists as Excel (.xlsx) and CSV.

A thin layer over openpyxl and the csv module. Each app declares, per model, the columns of its
lists (a TransferSpec); this module reads and writes the files. Every imported row goes through
the model's own ModelForm (with `user=`, so related choices are limited to the user's scope) and
is saved by core.services.save_form, so an import enforces the same rules, gives the same
messages and leaves the same audit trail as the edit page and the API.

An import is all-or-nothing: rows are processed in file order inside one transaction (so a row
may refer to a code created by a row above it), every error is collected, and if any row failed
nothing is kept. docs/import-formats.md describes the files for users.
"""

import csv
import datetime
import decimal
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, models, transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.module_loading import autodiscover_modules
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from houqin.core.audit import record_security_event
from houqin.core.exceptions import ConflictError, ValidationError
from houqin.core.models import SecurityEventKind
from houqin.core.services import save_form
from houqin.core.specs import ModelSpec

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 200
# An .xlsx is a zip archive: refuse archives that would unpack to more than this (zip bombs).
MAX_ZIP_ENTRIES = 2000
REF_SEPARATORS = re.compile(r"[,，、;；\n]")
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$")
BOOL_WORDS = {
    # Input tokens, matched in any interface language; the cells we write use gettext("Yes"/"No").
    True: {"1", "y", "yes", "true", "t", "是", "对", "真", "√", "✓"},
    False: {"0", "n", "no", "false", "f", "否", "错", "假", "×", "✗"},
}


def max_xlsx_unpacked_bytes() -> int:
    return getattr(settings, "HOUQIN_IMPORT_MAX_XLSX_UNPACKED_BYTES", 100 * 1024 * 1024)


# ---------------------------------------------------------------------------------------------
# Column declarations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a list's file. `field` is the form field (and model field) it fills."""

    field: str
    label: Any = None  # default: the model field's verbose name
    example: Any = ""
    help_text: Any = ""
    required: bool | None = None  # default: the model field is neither blank nor defaulted
    # Written on export for the reader's sake (e.g. a person's name beside the employee number),
    # ignored on import. `source` is the attribute path to read, e.g. "person.name".
    export_only: bool = False
    source: str = ""
    aliases: tuple[str, ...] = ()


class BoundColumn:
    """A Column together with what the model says of its field."""

    def __init__(self, column: Column, model: type[models.Model], required: bool):
        self.column = column
        self.name = column.field
        self.export_only = column.export_only
        self.model_field = None if column.export_only else model._meta.get_field(column.field)
        self.required = required
        self.kind = self._kind()
        self.related_model = self.model_field.related_model if self.kind in ("ref", "refs") else None
        self.code_attr = getattr(self.related_model, "code_field", "pk") if self.related_model else ""

    def _kind(self) -> str:
        f = self.model_field
        if f is None:
            return "text"
        if f.many_to_many:
            return "refs"
        if f.is_relation:
            return "ref"
        if f.choices:
            return "choice"
        if isinstance(f, models.BooleanField):
            return "bool"
        if isinstance(f, models.DateTimeField):
            return "text"
        if isinstance(f, models.DateField):
            return "date"
        if isinstance(f, (models.IntegerField, models.AutoField)):
            return "int"
        if isinstance(f, (models.DecimalField, models.FloatField)):
            return "decimal"
        return "text"

    @property
    def label(self) -> str:
        """The header in the active language."""
        label = self.column.label or (self.model_field.verbose_name if self.model_field else self.name)
        return capfirst(str(label))

    def labels_by_language(self) -> dict[str, str]:
        labels = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                labels[code] = self.label
        return labels

    def header_aliases(self) -> list[str]:
        return [*self.labels_by_language().values(), self.name, *self.column.aliases]

    @property
    def empty_value(self) -> Any:
        """What an empty cell means: the field's default where it has one, else cleared."""
        f = self.model_field
        if self.kind == "refs":
            return []
        if f is not None and f.has_default():
            return f.get_default()
        if self.kind == "bool":
            return False
        return None if self.kind == "ref" else ""

    def choice_map(self) -> dict[str, Any]:
        """Normalised value or label (in every language) → stored value."""
        mapping: dict[str, Any] = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for value, label in self.model_field.flatchoices:
                    mapping.setdefault(normalise(str(label)), value)
        for value, _label in self.model_field.flatchoices:
            mapping[normalise(str(value))] = value
        return mapping

    def export_value(self, obj) -> Any:
        """The cell for obj: codes for related records, labels for choices, Yes/No."""
        if self.export_only:
            value = obj
            for part in self.column.source.split("."):
                value = getattr(value, part, None) if value is not None else None
            return "" if value is None else str(value)
        if self.kind == "refs":
            return ", ".join(sorted(str(getattr(item, self.code_attr)) for item in getattr(obj, self.name).all()))
        if self.kind == "ref":
            related = getattr(obj, self.name)
            return "" if related is None else str(getattr(related, self.code_attr))
        value = getattr(obj, self.model_field.attname)
        if self.kind == "choice":
            return str(getattr(obj, f"get_{self.name}_display")()) if value not in (None, "") else ""
        if self.kind == "bool":
            return yes_no(value)
        if value is None:
            return ""
        return value

    # Descriptions for the template's instructions sheet and the import page.

    def format_text(self) -> str:
        if self.export_only:
            return _("Ignored on import; written on export for reading.")
        if self.kind in ("ref", "refs"):
            code_label = (
                self.related_model._meta.get_field(self.code_attr).verbose_name if self.code_attr != "pk" else "id"
            )
            params = {"code": code_label, "model": self.related_model._meta.verbose_name}
            if self.kind == "refs":
                return capfirst(_("%(code)s of each %(model)s, separated by commas") % params)
            return capfirst(_("%(code)s of a %(model)s") % params)
        if self.kind == "choice":
            return _("One of the allowed values")
        if self.kind == "bool":
            return _("%(yes)s or %(no)s (also yes/no, 1/0, true/false)") % {"yes": yes_no(True), "no": yes_no(False)}
        if self.kind == "date":
            return _("Date as YYYY-MM-DD, or an Excel date")
        if self.kind == "int":
            return _("Whole number")
        if self.kind == "decimal":
            return _("Number")
        max_length = getattr(self.model_field, "max_length", None)
        if max_length:
            return _("Text, at most %(count)s characters") % {"count": max_length}
        return _("Text")

    def allowed_values(self) -> str:
        if self.kind != "choice":
            return ""
        return "; ".join(f"{label} ({value})" for value, label in self.model_field.flatchoices if value != "")

    def help(self) -> str:
        parts = [str(self.column.help_text)] if self.column.help_text else []
        if self.model_field is not None and not self.required and self.model_field.has_default():
            parts.append(_("Empty: %(value)s") % {"value": self.default_text()})
        return " ".join(parts)

    def default_text(self) -> str:
        value = self.model_field.get_default()
        return yes_no(value) if self.kind == "bool" else str(value)

    def example_text(self) -> str:
        example = self.column.example
        if self.kind == "choice" and example not in ("", None):
            return str(dict(self.model_field.flatchoices).get(example, example))
        if self.kind == "bool" and isinstance(example, bool):
            return yes_no(example)
        return str(example) if example not in (None, "") else ""


@dataclass(frozen=True)
class TransferSpec:
    """The columns of one list's files, and the key that finds an existing row.

    key: the form fields whose values identify a row; by default the model's business code.
    """

    spec: ModelSpec
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    file_stem: str = ""  # download names: "<file_stem>-20261125.xlsx"; default the API path

    @property
    def model(self):
        return self.spec.model

    @cached_property
    def key_fields(self) -> tuple[str, ...]:
        return self.key or (self.model.code_field,)

    @property
    def key_is_unique(self) -> bool:
        """A unique key means a row outside the user's scope would clash with a new one."""
        return len(self.key_fields) == 1 and self.model._meta.get_field(self.key_fields[0]).unique

    @cached_property
    def bound_columns(self) -> list[BoundColumn]:
        bound = []
        for column in self.columns:
            if column.required is not None:
                required = column.required
            elif column.export_only:
                required = False
            elif column.field in self.key_fields:
                required = True
            else:
                f = self.model._meta.get_field(column.field)
                required = not f.blank and not f.has_default() and not f.many_to_many
            bound.append(BoundColumn(column, self.model, required))
        return bound

    @property
    def importable_columns(self) -> list[BoundColumn]:
        return [c for c in self.bound_columns if not c.export_only]

    @property
    def name(self) -> str:
        return self.file_stem or self.spec.api_path or self.spec.slug

    def import_permissions(self) -> tuple[str, str]:
        return (self.spec.perm("add"), self.spec.perm("change"))

    def export_permissions(self) -> tuple[str, str]:
        return (self.spec.perm("view"), "core.export_data")

    def sheet_title(self) -> str:
        return sheet_title(str(capfirst(self.model._meta.verbose_name_plural)))


_transfers: dict[str, TransferSpec] = {}


def register_transfer(transfer: TransferSpec) -> TransferSpec:
    _transfers[f"{transfer.spec.app_label}.{transfer.spec.slug}"] = transfer
    return transfer


def get_transfer(app_label: str, slug: str) -> TransferSpec:
    """The registered TransferSpec; raises KeyError for an unknown list."""
    key = f"{app_label}.{slug}"
    if key not in _transfers:
        # A task worker loads no URLconf, so the apps' transfer modules may not be imported yet.
        autodiscover_modules("transfer")
    return _transfers[key]


def all_transfers() -> list[TransferSpec]:
    return list(_transfers.values())


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """For matching headers and choice labels: width-folded, case-folded, without spaces."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"\s+", "", text).rstrip("*")


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with a single quote.

    Text that already starts with quotes before such a character gets one more, so that
    unneutralise() gives back exactly the stored text."""
    if isinstance(value, str) and value.lstrip("'")[:1] in FORMULA_TRIGGERS and value.lstrip("'"):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    if text.startswith("'") and text.lstrip("'")[:1] in FORMULA_TRIGGERS and text.lstrip("'"):
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A cell read from a file as the text a form field expects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(decimal.Decimal(repr(value)), "f")
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return unneutralise(str(value)).strip()


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = normalise(cell_text(value))
    for result, words in BOOL_WORDS.items():
        if word in words:
            return result
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if word == normalise(yes_no(True)):
                return True
            if word == normalise(yes_no(False)):
                return False
    return None


def parse_date(value: Any) -> str:
    """ISO date text for a date cell, or the text as given for the form to refuse."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        # An Excel serial day number (a date cell without date formatting).
        return (datetime.date(1899, 12, 30) + datetime.timedelta(days=int(value))).isoformat()
    text = cell_text(value)
    match = DATE_PATTERN.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            return text
    return text


def sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31] or "Sheet1"


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


class ImportRefused(Exception):
    """The file as a whole cannot be imported (type, size, encoding, unreadable)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)
    complete: bool = True  # False when reading stopped at the `limit` of read_table()


def file_format(filename: str) -> str:
    """ "xlsx", "csv", or another extension (which read_table refuses)."""
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def read_table(content: bytes, filename: str, *, limit: int | None = None) -> Table:
    """The first sheet of an .xlsx or a CSV file: header row 1, then the data rows.
    Raises ImportRefused with a message for the user when the file cannot be read.

    With a limit, reading stops once the file is known to hold more than `limit` data rows:
    the table then holds the first `limit` rows and `complete` is False."""
    extension = file_format(filename)
    if extension == "xlsx":
        return _read_xlsx(content, limit)
    if extension == "csv":
        return _read_csv(content, limit)
    if extension in ("xls", "et", "ods", "numbers"):
        raise ImportRefused(
            _("This spreadsheet format cannot be read: save the file as an Excel workbook (.xlsx) or as CSV.")
        )
    raise ImportRefused(_("Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported."))


def _table_from_rows(rows, limit: int | None = None) -> Table:
    """Header from the first row; blank rows dropped; too many rows refused."""
    max_rows = settings.HOUQIN_IMPORT_MAX_ROWS
    headers: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    complete = True
    for number, cells in enumerate(rows, start=1):
        cells = list(cells)
        if headers is None:
            while cells and (cells[-1] is None or str(cells[-1]).strip() == ""):
                cells.pop()
            if not cells:
                raise ImportRefused(_("The first row must hold the column headers, and it is empty."))
            if len(cells) > MAX_COLUMNS:
                raise ImportRefused(_("The file has more than %(count)s columns.") % {"count": MAX_COLUMNS})
            headers = [cell_text(cell) for cell in cells]
            continue
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        if len(data) >= max_rows:
            raise ImportRefused(
                _("The file has more than %(count)s rows; split it into smaller files.") % {"count": max_rows}
            )
        if limit is not None and len(data) >= limit:
            complete = False
            break
        data.append((number, cells))
    if headers is None:
        raise ImportRefused(_("The file is empty: the first row must hold the column headers."))
    return Table(headers, data, complete)


def _read_xlsx(content: bytes, limit: int | None = None) -> Table:
    from openpyxl import load_workbook

    unreadable = _("The file is not a readable Excel workbook (.xlsx). Open it in Excel and save it again as .xlsx.")
    if not content.startswith(b"PK\x03\x04"):
        raise ImportRefused(unreadable)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            # zipfile stops inflating an entry at its declared size, so these sizes bound the work.
            unpacked = sum(entry.file_size for entry in entries)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportRefused(unreadable) from exc
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > max_xlsx_unpacked_bytes():
        raise ImportRefused(_("The workbook is too large once unpacked; split it into smaller files."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise ImportRefused(unreadable)
                sheet = workbook.worksheets[0]
                return _table_from_rows((row[: MAX_COLUMNS + 1] for row in sheet.iter_rows(values_only=True)), limit)
            finally:
                workbook.close()
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ParseError, TypeError…) on broken files
        logger.info("unreadable xlsx upload: %r", exc)
        raise ImportRefused(unreadable) from exc


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]  # Excel's "Unicode text"
    else:
        # Chinese Excel saves "CSV (comma delimited)" in GB18030 (code page 936).
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_("The CSV file is neither UTF-8 nor GB18030 text. Save it again as “CSV UTF-8”."))


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(content: bytes, limit: int | None = None) -> Table:
    if content.startswith(b"PK\x03\x04"):
        raise ImportRefused(_("This is an Excel workbook, not a CSV file: rename it to .xlsx or save it as CSV."))
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(_("The file is not a CSV text file."))
    text = _decode(content)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
        return _table_from_rows(reader, limit)
    except csv.Error as exc:
        raise ImportRefused(_("The CSV file could not be read: %(error)s") % {"error": exc}) from exc


# ---------------------------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int | None  # as the spreadsheet numbers it (header = 1); None for the whole file
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read from the file

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors if e.row is not None})

    @classmethod
    def refused(cls, message: str) -> "ImportResult":
        """The whole file refused with one message."""
        return cls(errors=[RowError(None, "", message)])


class _RollBack(Exception):
    pass


_HIDDEN = object()


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file (or any file with .read()); ImportRefused when it is larger
    than HOUQIN_MAX_UPLOAD_BYTES, without reading more than that."""
    size = getattr(upload, "size", None)
    limit = settings.HOUQIN_MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise ImportRefused(file_too_large_message())
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ImportRefused(file_too_large_message())
    return content


def import_file(transfer: TransferSpec, upload, *, user, filename: str | None = None) -> ImportResult:
    """Import an uploaded file (Django UploadedFile or any file with .read()) for user.

    The caller checks permissions (add + change of the model). Refuses files over
    HOUQIN_MAX_UPLOAD_BYTES before reading them. Records an IMPORT security event."""
    filename = filename or getattr(upload, "name", "") or ""
    try:
        table = read_table(read_upload(upload), filename)
    except ImportRefused as exc:
        result = ImportResult.refused(str(exc))
    else:
        result = import_table(transfer, table, user=user)
    record_security_event(
        SecurityEventKind.IMPORT,
        user=user,
        detail={
            "model": transfer.model._meta.label_lower,
            "file": filename[:200],
            "ok": result.ok,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "errors": len(result.errors),
        },
    )
    return result


def file_too_large_message() -> str:
    limit = settings.HOUQIN_MAX_UPLOAD_BYTES
    return _("The file is larger than %(size)s MB; split it into smaller files.") % {"size": f"{limit / 1024 / 1024:g}"}


def import_table(transfer: TransferSpec, table: Table, *, user) -> ImportResult:
    """Validate and save every row in one transaction; keep nothing if any row fails."""
    result = ImportResult(rows=len(table.rows))
    mapping = _map_headers(transfer, table.headers, result)
    if not result.ok:
        return result
    importer = _RowImporter(transfer, mapping, table.headers, user, result)
    importer.look_up_codes(table.rows)
    try:
        with transaction.atomic():
            for number, cells in table.rows:
                importer.import_row(number, cells)
            if not result.ok:
                raise _RollBack
    except _RollBack:
        result.created = result.updated = result.unchanged = 0
    return result


def header_errors(transfer: TransferSpec, headers: list[str]) -> list[RowError]:
    """What is wrong with a file's header row (unknown, repeated or missing columns)."""
    result = ImportResult()
    _map_headers(transfer, headers, result)
    return result.errors


def _map_headers(transfer: TransferSpec, headers: list[str], result: ImportResult) -> dict[int, BoundColumn]:
    aliases: dict[str, BoundColumn] = {}
    for column in transfer.bound_columns:
        for alias in column.header_aliases():
            aliases.setdefault(normalise(alias), column)
    mapping: dict[int, BoundColumn] = {}
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        column = aliases.get(normalise(header))
        if column is None:
            result.errors.append(
                RowError(
                    1,
                    header,
                    _("Unknown column “%(header)s”. Use the column headers of the template.") % {"header": header},
                )
            )
        elif column.name in seen:
            result.errors.append(RowError(1, header, _("The column “%(header)s” appears twice.") % {"header": header}))
        else:
            seen[column.name] = index
            mapping[index] = column
    for column in transfer.bound_columns:
        if column.required and column.name not in seen:
            result.errors.append(
                RowError(1, column.label, _("The required column “%(header)s” is missing.") % {"header": column.label})
            )
    return mapping


class _RowImporter:
    def __init__(self, transfer: TransferSpec, mapping: dict[int, BoundColumn], headers, user, result: ImportResult):
        self.transfer = transfer
        self.model = transfer.model
        self.mapping = mapping
        self.headers = headers
        self.user = user
        self.result = result
        self.columns = {c.name: c for c in mapping.values()}
        self.header_of = {c.name: headers[i] for i, c in mapping.items()}
        self.form_fields = list(transfer.spec.form_class._meta.fields)
        self.choice_maps = {c.name: c.choice_map() for c in self.columns.values() if c.kind == "choice"}
        self.keys_seen: dict[tuple, int] = {}
        self.ref_cache: dict[tuple[str, str], int] = {}
        self.visible = self.model._default_manager.for_user(user)
        self.known_codes: dict[str, Any] | None = None

    def look_up_codes(self, rows) -> None:
        """Find every code of the file in a few queries: code → pk, or _HIDDEN when the row
        exists outside the user's scope. Only for a key that is one unique field."""
        if not self.transfer.key_is_unique:
            return
        code_field = self.transfer.key_fields[0]
        index = next((i for i, c in self.mapping.items() if c.name == code_field), None)
        if index is None:
            return
        codes = list({cell_text(cells[index]) for _number, cells in rows if index < len(cells)} - {""})
        self.known_codes = {}
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            found = dict(
                self.model._default_manager.filter(**{f"{code_field}__in": chunk}).values_list(code_field, "pk")
            )
            visible = set(self.visible.filter(pk__in=found.values()).values_list("pk", flat=True))
            self.known_codes.update({code: pk if pk in visible else _HIDDEN for code, pk in found.items()})

    def error(self, number: int, field_name: str | None, message: str) -> None:
        if field_name in (None, "__all__"):
            header = ""
        else:
            header = self.header_of.get(field_name) or self._label_of(field_name)
        self.result.errors.append(RowError(number, header, str(message)))

    def _label_of(self, field_name: str) -> str:
        for column in self.transfer.bound_columns:
            if column.name == field_name:
                return column.label
        try:
            return str(capfirst(self.model._meta.get_field(field_name).verbose_name))
        except FieldDoesNotExist:
            return field_name

    def import_row(self, number: int, cells: list[Any]) -> None:
        values: dict[str, Any] = {}
        for index, value in enumerate(cells):
            column = self.mapping.get(index)
            if column is not None:
                if not column.export_only:
                    values[column.name] = value
            elif value not in (None, "") and str(value).strip():
                self.error(
                    number, None, _("Column %(column)s holds a value but has no header.") % {"column": _letters(index)}
                )
                return

        instance = self._find(number, values)
        if instance is False:
            return
        creating = instance is None
        if creating:
            instance = self.model()
        data, field_errors = self._form_data(instance, values, creating)

        form = self.transfer.spec.form_class(data=data, instance=instance, user=self.user)
        before = _stored_values(instance, form) if not creating else None
        valid = form.is_valid()
        if field_errors or not valid:
            for name, messages in field_errors.items():
                for message in messages:
                    self.error(number, name, message)
            for name, messages in form.errors.items():
                if name in field_errors:
                    continue  # the reference error says more than "required"
                for message in messages:
                    self.error(number, name, message)
            return

        if not creating and _stored_values(form.instance, form, cleaned=True) == before:
            self.result.unchanged += 1
            return
        try:
            with transaction.atomic():
                # A model whose saves need more than save_form names its service (a location's new parent).
                self.transfer.spec.extra.get("save", save_form)(form, by=self.user, note="import")
        except ValidationError as exc:
            for message in exc.messages:
                self.error(number, None, message)
            return
        except ConflictError as exc:
            self.error(number, None, str(exc))
            return
        except DatabaseError as exc:
            logger.info("import row %s failed: %r", number, exc)
            self.error(number, None, _("The row could not be saved: it conflicts with another record."))
            return
        if creating:
            self.result.created += 1
        else:
            self.result.updated += 1

    def _find(self, number: int, values: dict[str, Any]):
        """The stored row this one updates, None to create, False after an error."""
        lookup = {}
        key = []
        for name in self.transfer.key_fields:
            column = next(c for c in self.transfer.bound_columns if c.name == name)
            text = cell_text(values.get(name))
            key.append(text)
            if column.kind == "ref":
                lookup[f"{name}__{column.code_attr}"] = text
            else:
                lookup[name] = text
        if not key[0]:
            return None  # the form will say that the code is required
        key = tuple(key)
        if key in self.keys_seen:
            self.error(
                number,
                self.transfer.key_fields[0],
                _("“%(code)s” already appears in row %(row)s of this file.")
                % {"code": " / ".join(k for k in key if k), "row": self.keys_seen[key]},
            )
            return False
        self.keys_seen[key] = number
        if self.known_codes is not None:
            # Unique code, looked up for the whole file beforehand: no query for a new row.
            pk = self.known_codes.get(key[0])
            if pk is None:
                return None
            matches = list(self.visible.filter(pk=pk)) if pk is not _HIDDEN else []
        else:
            matches = list(self.visible.filter(**lookup)[:2])
        if len(matches) > 1:
            self.error(number, None, _("Several records match this row; correct them in the list first."))
            return False
        if matches:
            return matches[0]
        if self.transfer.key_is_unique and (
            self.known_codes is not None or self.model._default_manager.filter(**lookup).exists()
        ):
            # Exists but outside the user's scope: refuse without saying whose it is.
            self.error(
                number,
                self.transfer.key_fields[0],
                _("You have no permission for code “%(code)s”: it cannot be created or changed by you.")
                % {"code": key[0]},
            )
            return False
        return None

    def _form_data(self, instance, values: dict[str, Any], creating: bool) -> tuple[dict, dict]:
        """The form's data: the stored values (or defaults) overlaid with the file's cells."""
        data: dict[str, Any] = {}
        opts = self.model._meta
        for name in self.form_fields:
            f = opts.get_field(name)
            if f.many_to_many:
                data[name] = [] if creating else [obj.pk for obj in getattr(instance, name).all()]
            else:
                value = f.value_from_object(instance)
                data[name] = "" if value is None else value
        errors: dict[str, list[str]] = {}
        for name, raw in values.items():
            column = self.columns[name]
            try:
                data[name] = self._convert(column, raw)
            except ValidationError as exc:
                errors[name] = exc.messages
                data[name] = column.empty_value
        return data, errors

    def _convert(self, column: BoundColumn, raw: Any) -> Any:
        if column.kind == "bool":
            if cell_text(raw) == "":
                return column.empty_value
            value = parse_bool(raw)
            if value is None:
                raise ValidationError(
                    _("Enter %(yes)s or %(no)s (also yes/no, 1/0, true/false).")
                    % {"yes": yes_no(True), "no": yes_no(False)}
                )
            return value
        if column.kind == "date":
            return parse_date(raw) if cell_text(raw) else ""
        text = cell_text(raw)
        if text == "":
            value = column.empty_value
            return "" if value is None else value
        if column.kind == "choice":
            return self.choice_maps[column.name].get(normalise(text), text)
        if column.kind == "ref":
            return self._resolve(column, text)
        if column.kind == "refs":
            return [self._resolve(column, part.strip()) for part in REF_SEPARATORS.split(text) if part.strip()]
        return text

    def _resolve(self, column: BoundColumn, code: str) -> int:
        """A related row by its business code only (never by id), within the user's scope."""
        cache_key = (column.name, code)
        if cache_key in self.ref_cache:
            return self.ref_cache[cache_key]
        queryset = column.related_model._default_manager.all()
        if hasattr(queryset, "for_user"):
            queryset = queryset.for_user(self.user)
        pk = queryset.filter(**{column.code_attr: code}).values_list("pk", flat=True).first()
        if pk is None:
            raise ValidationError(
                _("No %(model)s with code “%(value)s”.")
                % {"model": column.related_model._meta.verbose_name, "value": code[:60]}
            )
        self.ref_cache[cache_key] = pk
        return pk


def _stored_values(instance, form, cleaned: bool = False) -> dict[str, Any]:
    """The values of the form's fields on instance (many-to-many: the chosen or stored ids)."""
    values: dict[str, Any] = {}
    for name in form._meta.fields:
        f = instance._meta.get_field(name)
        if f.many_to_many:
            if cleaned:
                values[name] = {obj.pk for obj in form.cleaned_data.get(name) or []}
            else:
                values[name] = set(getattr(instance, name).values_list("pk", flat=True))
        else:
            values[name] = getattr(instance, f.attname)
    # A form may keep values beside the model's fields (a service category's SLA targets).
    extra = getattr(form, "stored_extra_values", None)
    if extra is not None:
        values.update(extra(cleaned=cleaned))
    return values


def _letters(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ---------------------------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------------------------


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_width(column: BoundColumn) -> float:
    guess = {"bool": 8, "date": 12, "int": 10, "decimal": 12, "choice": 14, "ref": 16, "refs": 24}.get(column.kind)
    if guess is None:
        max_length = getattr(column.model_field, "max_length", None) or 20
        guess = min(max(max_length // 3, 12), 40)
    return float(min(max(guess, _display_width(column.label) + 4), 60))


def _xlsx_value(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) or None
    return value


def _csv_value(value: Any) -> str:
    if isinstance(value, str):
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)


def write_xlsx(transfer: TransferSpec, objects, *, with_instructions: bool = False) -> tuple[bytes, int]:
    """The workbook (and how many rows it holds). Write-only: memory stays flat for long lists."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = transfer.bound_columns
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=transfer.sheet_title())
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _column_width(column)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for obj in objects:
        sheet.append([_xlsx_value(column.export_value(obj)) for column in columns])
        count += 1
    if with_instructions:
        _write_instructions(workbook, transfer, bold)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def _write_instructions(workbook, transfer: TransferSpec, bold) -> None:
    from openpyxl.cell import WriteOnlyCell

    sheet = workbook.create_sheet(title=sheet_title(_("Instructions")))
    for letter, width in zip("ABCDEFG", (20, 20, 8, 36, 40, 20, 40), strict=True):
        sheet.column_dimensions[letter].width = width

    def bold_row(*values):
        row = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(str(value)))
            cell.font = bold
            row.append(cell)
        sheet.append(row)

    bold_row(_("How to fill in this list: one row per record, the column headers in row 1 of the first sheet."))
    for line in _rules_text(transfer):
        sheet.append([_xlsx_value(str(line))])
    sheet.append([])
    bold_row(
        _("Column"),
        _("Also accepted as header"),
        _("Required"),
        _("Format"),
        _("Allowed values"),
        _("Example"),
        _("Notes"),
    )
    for column in transfer.bound_columns:
        english = column.labels_by_language().get("en", column.name)
        also = ", ".join(dict.fromkeys(a for a in (english, column.name) if a != column.label))
        sheet.append(
            [
                _xlsx_value(v)
                for v in (
                    column.label,
                    also,
                    yes_no(column.required),
                    column.format_text(),
                    column.allowed_values(),
                    column.example_text(),
                    column.help(),
                )
            ]
        )
    sheet.append([])
    bold_row(_("Example row"))
    bold_row(*(column.label for column in transfer.bound_columns))
    sheet.append([_xlsx_value(column.example_text()) for column in transfer.bound_columns])


def _rules_text(transfer: TransferSpec) -> list[str]:
    key = " + ".join(c.label for c in transfer.bound_columns if c.name in transfer.key_fields)
    return [
        _("A row whose %(key)s exists updates that record; any other row creates one. An empty cell clears the field.")
        % {"key": key},
        _("If any row has an error, nothing is imported; the page lists every error by row and column."),
    ]


def write_csv(transfer: TransferSpec, objects) -> tuple[bytes, int]:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    columns = transfer.bound_columns
    writer.writerow([_csv_value(column.label) for column in columns])
    count = 0
    for obj in objects:
        writer.writerow([_csv_value(column.export_value(obj)) for column in columns])
        count += 1
    return buffer.getvalue().encode("utf-8-sig"), count


def file_response(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def export_file(transfer: TransferSpec, queryset, *, fmt: str, user, filters: dict | None = None):
    """(content, rows, file name) of queryset's rows (already scoped and filtered by the caller),
    with an EXPORT security event naming the list, format, row count and filters."""
    objects = queryset.iterator(chunk_size=2000)
    if fmt == "xlsx":
        content, count = write_xlsx(transfer, objects)
    else:
        content, count = write_csv(transfer, objects)
    record_security_event(
        SecurityEventKind.EXPORT,
        user=user,
        detail={"model": transfer.model._meta.label_lower, "format": fmt, "rows": count, "filters": filters or {}},
    )
    return content, count, f"{transfer.name}-{timezone.localdate():%Y%m%d}.{fmt}"


def export_response(transfer: TransferSpec, queryset, *, fmt: str, user, filters: dict | None = None) -> HttpResponse:
    """The file of queryset's rows as a download (export_file)."""
    content, _count, filename = export_file(transfer, queryset, fmt=fmt, user=user, filters=filters)
    return file_response(content, fmt, filename)


def template_response(transfer: TransferSpec, *, fmt: str) -> HttpResponse:
    """An empty file with the header row; the .xlsx adds an instructions sheet."""
    if fmt == "xlsx":
        content, _count = write_xlsx(transfer, [], with_instructions=True)
    else:
        content, _count = write_csv(transfer, [])
    return file_response(content, fmt, f"{transfer.name}-{_('template')}.{fmt}")


__all__ = [
    "FORMATS",
    "export_file",
    "file_response",
    "BoundColumn",
    "Column",
    "ImportRefused",
    "ImportResult",
    "RowError",
    "Table",
    "TransferSpec",
    "all_transfers",
    "export_response",
    "file_format",
    "get_transfer",
    "header_errors",
    "import_file",
    "import_table",
    "neutralise",
    "read_table",
    "read_upload",
    "register_transfer",
    "template_response",
    "write_csv",
    "write_xlsx",
]
