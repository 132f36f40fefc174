"""The channel seams against a real local HTTP server and Django's in-memory mail box: the exact
bytes and headers sent, and which failures are worth a retry."""

import hashlib
import hmac
import json
import socket

import pytest
from django.core import mail

from houqin.notifications import channels
from houqin.notifications.channels import PermanentError, RetryableError

SECRET = "s3cret-key-for-the-his-system"


def test_a_webhook_arrives_signed_with_the_exact_payload(receiver):
    payload = {"event": "dispatched", "order": {"number": "WO261125-00001", "category": {"name": "电气"}}}
    delivery = channels.send_webhook(f"{receiver.url}/hooks/houqin", payload, SECRET, delivery_id="42")

    assert delivery.status_code == 200
    [got] = receiver.requests
    assert got.path == "/hooks/houqin"
    assert got.json() == payload
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    assert got.headers["x-houqin-event"] == "dispatched"
    assert got.headers["x-houqin-delivery"] == "42"
    # What a receiver does: HMAC-SHA256 of the raw body with the shared secret.
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-houqin-signature"], expected)
    assert "电气".encode() in got.body  # UTF-8, not \u escapes


def test_a_tampered_body_does_not_match_the_signature(receiver):
    channels.send_webhook(receiver.url, {"event": "completed", "n": 1}, SECRET)
    [got] = receiver.requests
    forged = got.body.replace(b"1", b"2")
    expected = "sha256=" + hmac.new(SECRET.encode(), forged, hashlib.sha256).hexdigest()
    assert got.headers["x-houqin-signature"] != expected


def test_it_refuses_to_send_an_unsigned_webhook(receiver):
    with pytest.raises(PermanentError):
        channels.send_webhook(receiver.url, {"event": "x"}, "")
    assert receiver.requests == []


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_server_errors_and_rate_limits_are_retried(receiver, status):
    receiver.answer(status, b"busy")
    with pytest.raises(RetryableError) as failed:
        channels.send_webhook(receiver.url, {"event": "x"}, SECRET)
    assert failed.value.status_code == status
    assert failed.value.response == "busy"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_given_up(receiver, status):
    receiver.answer(status, b"no such hook")
    with pytest.raises(PermanentError) as failed:
        channels.send_webhook(receiver.url, {"event": "x"}, SECRET)
    assert failed.value.status_code == status


def test_a_redirect_is_not_followed(receiver):
    receiver.answer(302, b"")
    with pytest.raises(PermanentError):
        channels.send_webhook(receiver.url, {"event": "x"}, SECRET)
    assert len(receiver.requests) == 1


def test_a_closed_port_is_retried():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RetryableError):
        channels.send_webhook(f"http://127.0.0.1:{port}/", {"event": "x"}, SECRET)


def test_a_silent_server_times_out_and_is_retried(monkeypatch):
    monkeypatch.setattr(channels, "TIMEOUT", 0.2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # accepts the connection, never answers
        with pytest.raises(RetryableError):
            channels.send_webhook(f"http://127.0.0.1:{sock.getsockname()[1]}/", {"event": "x"}, SECRET)


def test_a_non_http_address_is_given_up():
    with pytest.raises(PermanentError):
        channels.send_webhook("file:///etc/passwd", {"event": "x"}, SECRET)


def test_wecom_gets_a_markdown_message(receiver):
    text = "**工单 WO261125-00001: 已派工**\n> 类别: 电气"
    channels.send_wecom(f"{receiver.url}/cgi-bin/webhook/send?key=abc", text)
    [got] = receiver.requests
    assert got.path == "/cgi-bin/webhook/send?key=abc"
    assert got.json() == {"msgtype": "markdown", "markdown": {"content": text}}


def test_wecom_messages_are_cut_to_the_robots_limit(receiver):
    channels.send_wecom(receiver.url, "长" * 3000)
    content = receiver.requests[0].json()["markdown"]["content"]
    assert len(content.encode("utf-8")) <= channels.WECOM_MAX_BYTES
    assert content.endswith("…")


def test_wecom_errors_in_a_200_answer_are_errors(receiver):
    receiver.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(PermanentError, match="93000"):
        channels.send_wecom(receiver.url, "x")
    receiver.answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(RetryableError, match="45009"):
        channels.send_wecom(receiver.url, "x")


def test_sms_goes_to_the_gateway_as_json_with_the_api_key(receiver):
    channels.send_sms(f"{receiver.url}/sms", "key-123", "13900000001", "工单 WO1 派给您")
    [got] = receiver.requests
    assert got.json() == {"phone": "13900000001", "text": "工单 WO1 派给您"}
    assert got.headers["authorization"] == "Bearer key-123"
    assert got.headers["x-api-key"] == "key-123"


def test_sms_can_go_as_form_fields(receiver):
    channels.send_sms(f"{receiver.url}/sms", "", "13900000001", "派工 WO1", form=True)
    [got] = receiver.requests
    assert got.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert got.body == b"phone=13900000001&text=%E6%B4%BE%E5%B7%A5+WO1"
    assert "authorization" not in got.headers


def test_an_sms_without_a_number_is_given_up(receiver):
    with pytest.raises(PermanentError):
        channels.send_sms(receiver.url, "k", "", "x")
    assert receiver.requests == []


def test_email_goes_through_djangos_mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "houqin@hospital.example"
    channels.send_email(["office@hospital.example", "director@hospital.example"], "工单超时\n", "WO1 超时")
    [sent] = mail.outbox
    assert sent.to == ["office@hospital.example", "director@hospital.example"]
    assert sent.subject == "工单超时 "
    assert sent.body == "WO1 超时"
    assert sent.from_email == "houqin@hospital.example"


def test_email_without_an_smtp_server_is_given_up_clearly(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    with pytest.raises(PermanentError, match="HOUQIN_EMAIL_HOST"):
        channels.send_email("office@hospital.example", "s", "b")


def test_webhook_body_is_compact_sorted_utf8():
    assert channels.webhook_body({"b": 1, "a": "后勤"}) == json.dumps(
        {"a": "后勤", "b": 1}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
