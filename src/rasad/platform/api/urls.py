from django.urls import path, re_path

from rasad.platform.api.api import api
from rasad.platform.api.errors import not_found_view

urlpatterns = [
    path("", api.urls),
    re_path(r"^.*$", not_found_view),  # any other path under /api/ answers in JSON too
]
