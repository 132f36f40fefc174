"""The seams to the outside world: one small function per channel, nothing else in houqin talks
to a webhook, WeCom, an SMTP server or an SMS gateway.

Each function either returns a Delivery (what the other side answered) or raises PermanentError
(retrying cannot help: a refused address, a 4xx answer, a bad configuration) or RetryableError
(timeouts, refused connections, 5xx, rate limits). Only the standard library is used (urllib,
Django's mail); every call gives up after TIMEOUT seconds."""

import hashlib
import hmac
import http.client
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage

TIMEOUT = 5
# Answers kept in the delivery log are cut to this many characters.
EXCERPT = 500
USER_AGENT = "houqin-notifications/1"
SIGNATURE_HEADER = "X-Houqin-Signature"
EVENT_HEADER = "X-Houqin-Event"
DELIVERY_HEADER = "X-Houqin-Delivery"
# A WeCom robot's markdown message holds at most 4096 bytes of UTF-8.
WECOM_MAX_BYTES = 4096
# WeCom errcodes worth retrying: system busy, too many messages per minute.
WECOM_RETRY_CODES = {-1, 45009, 45033}
RETRY_HTTP_CODES = {408, 425, 429}


class DeliveryError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None, response: str = ""):
        super().__init__(message)
        self.status_code = status_code
        self.response = response


class PermanentError(DeliveryError):
    """Trying again will not help; the message is given up."""


class RetryableError(DeliveryError):
    """Trying again later may work."""


@dataclass(frozen=True)
class Delivery:
    status_code: int | None
    response: str


def excerpt(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return text[:EXCERPT]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would lose its body (or be replayed elsewhere): report it instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> Delivery:
    """POST body to url; the answer's status decides success (2xx), retry or give up."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise PermanentError(f"not an http(s) address: {url[:80]}")
    request = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT, **headers}, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT) as answer:
            return Delivery(answer.status, excerpt(answer.read(EXCERPT * 4)))
    except urllib.error.HTTPError as exc:
        try:
            text = excerpt(exc.read(EXCERPT * 4))
        except Exception:
            text = ""
        message = f"HTTP {exc.code} {exc.reason}"
        if exc.code >= 500 or exc.code in RETRY_HTTP_CODES:
            raise RetryableError(message, status_code=exc.code, response=text) from exc
        raise PermanentError(message, status_code=exc.code, response=text) from exc
    except urllib.error.URLError as exc:
        raise RetryableError(f"cannot connect: {exc.reason}") from exc
    except TimeoutError as exc:
        raise RetryableError(f"no answer within {TIMEOUT} s") from exc
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise RetryableError(f"connection failed: {exc}") from exc
    except ValueError as exc:
        raise PermanentError(f"invalid address: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# Webhook
# ---------------------------------------------------------------------------------------------


def webhook_body(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON with sorted keys."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """The X-Houqin-Signature header: sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send_webhook(url: str, payload: dict, secret: str, *, delivery_id: str = "") -> Delivery:
    """POST payload as JSON, signed with the channel's secret; X-Houqin-Event names the event and
    X-Houqin-Delivery the outbox message (the same on every retry, for receivers that dedupe)."""
    if not secret:
        raise PermanentError("the webhook has no secret to sign with")
    body = webhook_body(payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        EVENT_HEADER: str(payload.get("event", "")),
        SIGNATURE_HEADER: signature(secret, body),
    }
    if delivery_id:
        headers[DELIVERY_HEADER] = delivery_id
    return post(url, body, headers)


# ---------------------------------------------------------------------------------------------
# WeCom (企业微信) group robot
# ---------------------------------------------------------------------------------------------


def _cut_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def wecom_body(text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": _cut_utf8(text, WECOM_MAX_BYTES)}}


def send_wecom(url: str, text: str) -> Delivery:
    """Post a markdown message to a WeCom group robot (its webhook URL, key included). The robot
    answers HTTP 200 with {"errcode": 0} on success; any other errcode is an error."""
    body = json.dumps(wecom_body(text), ensure_ascii=False).encode("utf-8")
    delivery = post(url, body, {"Content-Type": "application/json; charset=utf-8"})
    try:
        answer = json.loads(delivery.response or "{}")
        code = int(answer.get("errcode", 0))
    except (ValueError, TypeError, AttributeError) as exc:
        raise PermanentError(
            "WeCom answered something else than JSON", status_code=delivery.status_code, response=delivery.response
        ) from exc
    if code == 0:
        return delivery
    error = RetryableError if code in WECOM_RETRY_CODES else PermanentError
    raise error(
        f"WeCom errcode {code}: {answer.get('errmsg', '')}"[:EXCERPT],
        status_code=delivery.status_code,
        response=delivery.response,
    )


# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------


def send_email(to: list[str] | str, subject: str, body: str) -> Delivery:
    """Send a plain-text e-mail through Django's e-mail backend (SMTP settings: HOUQIN_EMAIL_*)."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise PermanentError("no e-mail address")
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend" and not settings.EMAIL_HOST:
        raise PermanentError("no SMTP server configured (HOUQIN_EMAIL_HOST)")
    message = EmailMessage(subject=subject.replace("\n", " ")[:200], body=body, to=recipients)
    try:
        sent = message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"recipients refused: {', '.join(exc.recipients)}"[:EXCERPT]) from exc
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code}: {excerpt(exc.smtp_error)}"
        error = PermanentError if exc.smtp_code >= 500 else RetryableError
        raise error(text, status_code=exc.smtp_code) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableError(f"SMTP failed: {exc}"[:EXCERPT]) from exc
    if not sent:
        raise RetryableError("the e-mail backend did not send the message")
    return Delivery(None, f"accepted for {len(recipients)} recipient(s)")


# ---------------------------------------------------------------------------------------------
# SMS gateway
# ---------------------------------------------------------------------------------------------


def send_sms(gateway_url: str, api_key: str, phone: str, text: str, *, form: bool = False) -> Delivery:
    """POST {"phone", "text"} to the hospital's SMS gateway (JSON, or form fields with form=True);
    the API key goes in `Authorization: Bearer <key>` and `X-Api-Key`. Any 2xx answer is success."""
    if not phone:
        raise PermanentError("no phone number")
    fields = {"phone": phone, "text": text}
    if form:
        body = urllib.parse.urlencode(fields).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    else:
        body = json.dumps(fields, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
        headers["X-Api-Key"] = api_key
    return post(gateway_url, body, headers)


__all__ = [
    "Delivery",
    "DeliveryError",
    "PermanentError",
    "RetryableError",
    "send_email",
    "send_sms",
    "send_webhook",
    "send_wecom",
    "signature",
    "webhook_body",
]
