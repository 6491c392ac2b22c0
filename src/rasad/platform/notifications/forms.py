"""The preferences form: per kind the user's role hears of, inbox and email; the
language of emails; for estate managers, how often their digest comes."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rasad.platform.accounts.models import Role
from rasad.platform.notifications.models import Digest, Kind


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of emails"), choices=settings.LANGUAGES)

    def __init__(self, user, chosen: dict, language: str, digest: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = list(chosen)
        self.fields["language"].initial = language
        for kind in self.kinds:
            in_app, email = chosen[kind]
            self.fields[f"{kind}_in_app"] = forms.BooleanField(
                required=False, initial=in_app, label=_("in the inbox")
            )
            self.fields[f"{kind}_email"] = forms.BooleanField(
                required=False, initial=email, label=_("by email")
            )
        if user.effective_role == Role.ESTATE_MANAGER:
            self.fields["digest"] = forms.ChoiceField(
                label=_("Digest of my estates by email"), choices=Digest.choices, initial=digest
            )

    def rows(self) -> list[tuple]:
        """(kind's label, inbox field, email field) for the template's table."""
        labels = dict(Kind.choices)
        return [
            (labels[kind], self[f"{kind}_in_app"], self[f"{kind}_email"]) for kind in self.kinds
        ]
