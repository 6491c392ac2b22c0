"""The inbox link of the navigation, with the count of unread notifications."""

from django import template

register = template.Library()


@register.inclusion_tag("notifications/nav.html")
def inbox_link(user) -> dict:
    unread = (
        user.notifications.filter(in_app=True, read_at__isnull=True).count()
        if user.is_authenticated
        else 0
    )
    return {"user": user, "unread": unread}
