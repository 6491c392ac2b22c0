from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from rasad.platform.web import errors, views

admin.site.site_header = admin.site.site_title = _("Rasad administration")
admin.site.index_title = _("Registry, returns and rankings")

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("rasad.platform.web.urls")),
    path("", include("rasad.platform.public.urls")),
    path("analysis/", include("rasad.platform.rankings.urls")),
    path("monitoring/", include("rasad.platform.monitoring.urls")),
    path("clusters/", include("rasad.platform.clusters_web.urls")),
    path("", include("rasad.platform.reports.urls")),
    path("notifications/", include("rasad.platform.notifications.urls")),
    path("api/", include("rasad.platform.api.urls")),
    path("admin/", admin.site.urls),
]

# 400/403/404 in the reader's language with the site layout (rasad.platform.web.errors);
# 500 stays Django's server_error, which renders the self-contained 500.html.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
