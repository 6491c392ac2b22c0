from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "rasad.platform.public"
    label = "public"
    verbose_name = _("Published rankings and dashboards")
