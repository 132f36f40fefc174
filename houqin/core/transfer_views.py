"""Generic pages for importing, exporting and downloading the import template of a list.

Each view is configured with a TransferSpec: ImportView.as_view(transfer=...). The app's URL
module (e.g. houqin/org/transfer_urls.py) names them "<slug>_import", "_export", "_template".
A file of more than HOUQIN_IMPORT_SYNC_ROWS rows is imported in the background: the upload
redirects to its ImportJob's page, "core:import_job" (houqin/core/import_urls.py)."""

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django_htmx.http import HttpResponseClientRedirect

from houqin.core.audit import current_ip
from houqin.core.models import ImportJob
from houqin.core.tasks import ERRORS_KEPT, fail_if_abandoned, queue_import_job
from houqin.core.transfer import (
    FORMATS,
    ImportRefused,
    ImportResult,
    TransferSpec,
    export_response,
    file_too_large_message,
    get_transfer,
    header_errors,
    import_file,
    read_table,
    read_upload,
    template_response,
)

# Multipart framing around the file itself; a body larger than the limit plus this is refused unread.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
# The page lists this many errors; the rest are counted.
ERRORS_SHOWN = ERRORS_KEPT


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )


class _UploadLimitHandler(FileUploadHandler):
    """Stops keeping an uploaded file once it passes HOUQIN_MAX_UPLOAD_BYTES, so an oversized
    upload is neither held in memory nor written to disk."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.HOUQIN_MAX_UPLOAD_BYTES:
            self.request.houqin_upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


class _TransferView(View):
    transfer: TransferSpec | None = None

    def required_permissions(self) -> tuple[str, ...]:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perms(self.required_permissions()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def url_or_none(self, action: str) -> str | None:
        return _url_or_none(self.transfer.spec.url_name(action))


@method_decorator(csrf_exempt, name="dispatch")  # CSRF is checked in post(), after the upload limit is in place
class ImportView(_TransferView):
    """GET: the upload form, the template links and the columns. POST (multipart, field "file"):
    run the import and show the counts or every error by row and column; a file of more than
    HOUQIN_IMPORT_SYNC_ROWS rows becomes an ImportJob instead, and the answer goes to its page."""

    template_name = "core/transfer_import.html"

    def required_permissions(self):
        return self.transfer.import_permissions()

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.user.is_authenticated:
            length = request.META.get("CONTENT_LENGTH") or "0"
            if length.isdigit() and int(length) > settings.HOUQIN_MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD_BYTES:
                if not request.user.has_perms(self.required_permissions()):
                    raise PermissionDenied
                # Refused before the body is read; no state changes, so no CSRF check is needed.
                return self.render(request, ImportForm(), _refused(file_too_large_message()), status=413)
            # Takes effect only if no middleware has read the body yet; import_file checks the size again.
            request.upload_handlers.insert(0, _UploadLimitHandler(request))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(request, ImportForm())

    @method_decorator(csrf_protect)
    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if getattr(request, "houqin_upload_too_large", False):
            return self.render(request, ImportForm(), _refused(file_too_large_message()), status=413)
        if not form.is_valid():
            return self.render(request, form)
        upload = form.cleaned_data["file"]
        content = self.content_for_a_job(upload)
        if content is not None:
            job = queue_import_job(
                self.transfer,
                content,
                filename=upload.name,
                user=request.user,
                language=getattr(request, "LANGUAGE_CODE", ""),
                ip_address=current_ip.get(),
            )
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(job.get_absolute_url())
            return redirect(job)
        upload.seek(0)
        result = import_file(self.transfer, upload, user=request.user)
        return self.render(request, ImportForm(), result, filename=upload.name)

    def content_for_a_job(self, upload) -> bytes | None:
        """The file's bytes when it is to be imported in the background: readable, with valid
        headers, and more than HOUQIN_IMPORT_SYNC_ROWS rows. Reads at most that many rows.
        Otherwise None, and import_file imports the file or gives its message at once."""
        try:
            content = read_upload(upload)
            head = read_table(content, upload.name, limit=settings.HOUQIN_IMPORT_SYNC_ROWS)
        except ImportRefused:
            return None
        if head.complete or header_errors(self.transfer, head.headers):
            return None
        return content

    def render(self, request, form, result: ImportResult | None = None, *, status: int = 200, filename: str = ""):
        spec = self.transfer.spec
        context = {
            "title": _("Import %(things)s") % {"things": spec.model._meta.verbose_name_plural},
            "list_title": capfirst(spec.model._meta.verbose_name_plural),
            "list_url": self.url_or_none("list"),
            "breadcrumbs": [
                {"label": _("Home"), "url": reverse("core:home")},
                {"label": capfirst(spec.model._meta.verbose_name_plural), "url": self.url_or_none("list")},
                {"label": _("Import"), "url": None},
            ],
            "template_url": self.url_or_none("template"),
            "transfer": self.transfer,
            "columns": self.transfer.bound_columns,
            "key_labels": [c.label for c in self.transfer.bound_columns if c.name in self.transfer.key_fields],
            "form": form,
            "result": result,
            "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
            "errors_hidden": max(len(result.errors) - ERRORS_SHOWN, 0) if result else 0,
            "filename": filename,
            "max_rows": settings.HOUQIN_IMPORT_MAX_ROWS,
            "sync_rows": settings.HOUQIN_IMPORT_SYNC_ROWS,
            "max_megabytes": f"{settings.HOUQIN_MAX_UPLOAD_BYTES / 1024 / 1024:g}",
        }
        template = self.template_name
        if getattr(request, "htmx", False) and request.method == "POST":
            template += "#result"
        # htmx swaps only 2xx answers, so a refusal it asked for is shown with 200.
        if getattr(request, "htmx", False):
            status = 200
        return render(request, template, context, status=status)


def _refused(message: str) -> ImportResult:
    return ImportResult.refused(message)


class ImportJobView(View):
    """GET /imports/<id>/: a background import's status and, once it ended, its counts or errors.
    While it waits or runs, the status fragment asks for itself again every 2 s (htmx).
    Only the uploader (and superusers) may see a job: 404 for anyone else."""

    template_name = "core/import_job.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk: int):
        job = get_object_or_404(ImportJob.for_user(request.user).select_related("user"), pk=pk)
        fail_if_abandoned(job)
        try:
            transfer = get_transfer(job.app_label, job.list_slug)
        except KeyError:
            raise Http404 from None
        spec = transfer.spec
        things = capfirst(spec.model._meta.verbose_name_plural)
        list_url = _url_or_none(spec.url_name("list"))
        context = {
            "title": _("Import of %(things)s") % {"things": spec.model._meta.verbose_name_plural},
            "breadcrumbs": [
                {"label": _("Home"), "url": reverse("core:home")},
                {"label": things, "url": list_url},
                {"label": _("Import"), "url": _url_or_none(spec.url_name("import"))},
                {"label": job.filename, "url": None},
            ],
            "job": job,
            "result": job if job.done else None,
            "errors_shown": job.errors[:ERRORS_SHOWN] if job.done else [],
            "errors_hidden": max(job.error_count - min(len(job.errors), ERRORS_SHOWN), 0) if job.done else 0,
            "list_url": list_url,
            "import_url": _url_or_none(spec.url_name("import")),
        }
        template = self.template_name
        if getattr(request, "htmx", False):
            template += "#status"
        return render(request, template, context)


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _format(request) -> str | None:
    fmt = request.GET.get("format", "xlsx").lower()
    return fmt if fmt in FORMATS else None


class ExportView(_TransferView):
    """The list as ?format=xlsx|csv, scoped and filtered exactly like the list page."""

    def required_permissions(self):
        return self.transfer.export_permissions()

    def get(self, request):
        fmt = _format(request)
        if fmt is None:
            return HttpResponseBadRequest(_("Unknown format: choose xlsx or csv."))
        spec = self.transfer.spec
        filterset = spec.filterset_class(request.GET, queryset=spec.queryset_for(request.user), request=request)
        if not filterset.is_valid():
            # The list shows no rows for filters it cannot apply; the file must not hold more.
            problems = "; ".join(
                f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: {' '.join(errors)}"
                for name, errors in filterset.errors.items()
            )
            # Plain text: the messages quote what was typed.
            message = _("Correct the filters first: %(errors)s") % {"errors": problems}
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        queryset = filterset.qs
        sort = request.GET.get("sort", "")
        if sort and sort.lstrip("-") in spec.sortable:
            queryset = queryset.order_by(sort, "pk")
        filters = {key: request.GET.getlist(key) for key in request.GET if key != "format"}
        filters = {key: values[0] if len(values) == 1 else values for key, values in filters.items()}
        return export_response(self.transfer, queryset, fmt=fmt, user=request.user, filters=filters)


class ImportTemplateView(_TransferView):
    """The empty file to fill in: ?format=xlsx (with an instructions sheet) or csv."""

    def required_permissions(self):
        return (self.transfer.spec.perm("view"),)

    def get(self, request):
        fmt = _format(request)
        if fmt is None:
            return HttpResponseBadRequest(_("Unknown format: choose xlsx or csv."))
        return template_response(self.transfer, fmt=fmt)


TemplateView = ImportTemplateView
