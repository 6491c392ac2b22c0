"""The inbox and the preferences page of a signed-in user (issue 18, item 3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rasad.platform.notifications.forms import PreferencesForm
from rasad.platform.notifications.models import NotificationPreference
from rasad.platform.notifications.services import preferences, settings_of

PER_PAGE = 30


@login_required
def inbox(request):
    shown = request.user.notifications.filter(in_app=True)
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": shown.filter(read_at__isnull=True).count()},
    )


@login_required
@require_POST
def mark_read(request):
    """Mark one notification read (``id``) and follow its link (``open``), or all of them."""
    mine = request.user.notifications.filter(in_app=True, read_at__isnull=True)
    chosen = request.POST.get("id", "")
    if chosen.isdigit():
        mine = mine.filter(pk=int(chosen))
    elif chosen != "all":
        return redirect("notifications:inbox")
    mine.update(read_at=timezone.now())
    link = request.POST.get("open", "")
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences_view(request):
    user = request.user
    chosen, own = preferences(user), settings_of(user)
    form = PreferencesForm(user, chosen, own.language, own.digest, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for kind in form.kinds:
                NotificationPreference.objects.update_or_create(
                    user=user,
                    kind=kind,
                    defaults={
                        "in_app": form.cleaned_data[f"{kind}_in_app"],
                        "email": form.cleaned_data[f"{kind}_email"],
                    },
                )
            own.language = form.cleaned_data["language"]
            own.digest = form.cleaned_data.get("digest", own.digest)
            own.save()
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
