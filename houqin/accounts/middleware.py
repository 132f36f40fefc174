from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from houqin.core.audit import current_ip

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is trusted when the deployment sets a proxy
    # that overwrites it (see docs/configuration.md, HOUQIN_BEHIND_TLS_PROXY).
    return request.META.get("REMOTE_ADDR") or None


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def choose_language(request) -> str:
    """Chinese unless the user chose otherwise. API clients may ask with Accept-Language;
    browsers do not decide, because a hospital's PCs often carry English system settings."""
    if request.path.startswith("/api/"):
        for code, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
            if code != "*" and (lang := _supported(code)):
                return lang
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in LANGUAGE_CODES:
        return user.language
    if lang := _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        return lang
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Activates the user's language and remembers the client address for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip_token = current_ip.set(client_ip(request))
        language = choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            current_ip.reset(ip_token)
        response.headers.setdefault("Content-Language", language)
        patch = response.get("Vary", "")
        if "Cookie" not in patch:
            response["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        return response
