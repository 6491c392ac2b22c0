from django.urls import path, re_path

from rasad.platform.api.api import api
from rasad.platform.api.errors import method_not_allowed_in_json, not_found_view

# (no module-level app_name here: include() would read it as this module's namespace)
routes, *names = api.urls
for route in routes:
    route.callback = method_not_allowed_in_json(route.callback)

urlpatterns = [
    path("", (routes, *names)),
    re_path(r"^.*$", not_found_view),  # any other path under /api/ answers in JSON too
]
