"""Who is calling: a bearer token (houqin.accounts.tokens) or the browser's session with CSRF."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from houqin.accounts.tokens import authenticate_token
from houqin.core.specs import ModelSpec


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token acts as its user, with exactly the user's rights."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        user = authenticate_token(key.strip())
        if user is None:
            # A wrong token is refused outright, even if a session cookie came along.
            raise AuthenticationError()
        request.user = user
        if not request.headers.get("Accept-Language") and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return user

    def authenticate(self, request: HttpRequest, token: str):  # pragma: no cover - __call__ does the work
        return None


class SessionAuth(APIKeyCookie):
    """The browser's login session; unsafe methods need the CSRF token (X-CSRFToken header)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value."))
        return user

    def _get_key(self, request):  # pragma: no cover - __call__ does the work
        return None

    def authenticate(self, request, key):  # pragma: no cover
        return None


def require_perm(request, spec: ModelSpec, action: str) -> None:
    if not request.user.has_perm(spec.perm(action)):
        raise PermissionDenied(_("You do not have permission to do this."))
