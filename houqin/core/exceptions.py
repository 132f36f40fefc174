from django.core.exceptions import ValidationError


class InUseError(Exception):
    """The object cannot be deleted because other records refer to it."""


class ConflictError(Exception):
    """Someone else changed the object since the caller read it."""


__all__ = ["ConflictError", "InUseError", "ValidationError"]
