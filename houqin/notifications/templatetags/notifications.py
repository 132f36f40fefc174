from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The user's unread count for the bell: one COUNT per request, however often it is asked."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    if request is not None and hasattr(request, "_hq_unread_notifications"):
        return request._hq_unread_notifications
    from houqin.notifications.views import unread_count

    count = unread_count(user)
    if request is not None:
        request._hq_unread_notifications = count
    return count
