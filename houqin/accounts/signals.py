"""Security events for logins and lockouts. Django's auth signals are the one place every
login path (form, admin, API session) passes through."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from houqin.core.audit import record_security_event
from houqin.core.models import SecurityEventKind


@receiver(user_logged_in, dispatch_uid="houqin-login")
def on_login(sender, request, user, **kwargs):
    record_security_event(SecurityEventKind.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="houqin-logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_security_event(SecurityEventKind.LOGOUT, user=user)


@receiver(user_login_failed, dispatch_uid="houqin-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record_security_event(SecurityEventKind.LOGIN_FAILED, username=username)


@receiver(user_locked_out, dispatch_uid="houqin-locked-out")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    record_security_event(SecurityEventKind.LOCKED_OUT, username=str(username or "")[:150])
