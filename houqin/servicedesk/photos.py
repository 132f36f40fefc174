"""Photos of work orders: what a requester saw, what a worker left behind.

Pillow is not installed, so an upload is recognised by its first bytes (JPEG, PNG, WebP, HEIC),
never by the name or the type the phone claims: a renamed program is refused. Files are stored
under MEDIA_ROOT by the default storage with random names, and served only by the photo view,
which checks the order's access scope."""

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from houqin.servicedesk.models import WorkOrder, WorkOrderPhoto

MAX_PHOTOS = 3
IMAGE_TYPES = ("JPEG", "PNG", "WebP", "HEIC")
# HEIF brands phones write (iPhones: heic; some Androids: mif1/msf1 with HEVC inside).
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def max_photo_bytes() -> int:
    """Each photo may take a third of the upload limit, so three fit into one request."""
    return settings.HOUQIN_MAX_UPLOAD_BYTES // MAX_PHOTOS


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(content type, file extension) of an image recognised by its first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic", "heic"
    return None


def check_photo(upload) -> tuple[str, str]:
    """(content type, extension) of an uploaded photo, or ValidationError naming the file."""
    name = (getattr(upload, "name", "") or "")[-80:]
    limit = max_photo_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s); each photo may be at most %(limit)s."),
            code="too_large",
            params={"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff_image(head)
    if found is None:
        raise ValidationError(
            _("%(name)s is not a photo. Send JPEG, PNG, WebP or HEIC images."), code="not_image", params={"name": name}
        )
    return found


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images in one file input; cleans to [(upload, content type, extension)]."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/*"})
        )
        kwargs.setdefault(
            "help_text",
            _("Up to %(count)s photos, JPEG, PNG, WebP or HEIC, each at most %(limit)s.")
            % {"count": MAX_PHOTOS, "limit": filesizeformat(max_photo_bytes())},
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > MAX_PHOTOS:
            raise ValidationError(
                ngettext("Send at most %(count)d photo.", "Send at most %(count)d photos.", MAX_PHOTOS)
                % {"count": MAX_PHOTOS},
                code="too_many",
            )
        checked, errors = [], []
        for upload in uploads:
            try:
                checked.append((upload, *check_photo(upload)))
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)
        return checked


def store_photos(order: WorkOrder, photos: list, *, stage: str, by, stored: list[str]) -> list[WorkOrderPhoto]:
    """Save checked photos (PhotosField's cleaned value) for order. Each stored file name is
    appended to `stored` at once, so the caller can remove the files if the transaction fails."""
    saved = []
    uploader = by if getattr(by, "pk", None) else None
    for upload, content_type, extension in photos:
        photo = WorkOrderPhoto(
            order=order, content_type=content_type, size=upload.size, stage=stage, uploaded_by=uploader
        )
        upload.seek(0)
        # The field's upload_to draws a random name; only the extension of this one is kept.
        photo.image.save(f"photo.{extension}", upload, save=False)
        stored.append(photo.image.name)
        photo.save()
        saved.append(photo)
    return saved


def with_photos(action: Callable[[], WorkOrder], photos: list, *, stage: str, by) -> WorkOrder:
    """Run a service call and attach the photos to its order in one transaction: either the
    change and its photos are both kept, or neither (files already written are deleted)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            order = action()
            if photos:
                store_photos(order, photos, stage=stage, by=by, stored=stored)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return order
