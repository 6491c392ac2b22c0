from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "rasad.platform.returns"
    label = "returns"
    verbose_name = _("Periodic returns")

    def ready(self):
        from rasad.platform.reference_data import sync_reference_data

        # Registered on the last of the apps whose tables it fills, so all of them exist.
        post_migrate.connect(sync_reference_data, sender=self, dispatch_uid="rasad-reference-data")

        from rasad.platform.shared_state import check_shared_secret_key

        # several app servers need one secret key (docs/deploy.md)
        checks.register(check_shared_secret_key, checks.Tags.security, deploy=True)
