from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClustersWebConfig(AppConfig):
    name = "rasad.platform.clusters_web"
    label = "clusters_web"
    verbose_name = _("Industrial clusters")
