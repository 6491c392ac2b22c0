"""The inbox and the preferences page of a signed-in user (issue 18, item 3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rasad.platform.notifications import services
from rasad.platform.notifications.forms import PreferencesForm

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
    chosen = request.POST.get("id", "")
    if chosen.isdigit():
        services.mark_read(request.user, int(chosen))
    elif chosen == "all":
        services.mark_read(request.user)
    else:
        return redirect("notifications:inbox")
    link = request.POST.get("open", "")
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences_view(request):
    user = request.user
    own = services.settings_of(user)
    form = PreferencesForm(
        user, services.preferences(user), own.language, own.digest, request.POST or None
    )
    if request.method == "POST" and form.is_valid():
        services.save_preferences(
            user,
            {
                kind: (form.cleaned_data[f"{kind}_in_app"], form.cleaned_data[f"{kind}_email"])
                for kind in form.kinds
            },
            language=form.cleaned_data["language"],
            digest=form.cleaned_data.get("digest", own.digest),
        )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
