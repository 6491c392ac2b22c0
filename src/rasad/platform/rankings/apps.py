from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingsConfig(AppConfig):
    name = "rasad.platform.rankings"
    label = "rankings"
    verbose_name = _("Rankings")

    def ready(self):
        from rasad.platform.rankings import dependencies  # noqa: F401 - connects its pre_delete receiver
