"""``rasad manage create_api_token USERNAME --name NAME``: print a new API token's secret, once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from rasad.platform.api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", required=True, help="What the token is for (e.g. the client's name)."
        )

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user '{username}'. / کاربری با نام «{username}» نیست.")
        if not user.is_active:
            raise CommandError(
                f"The user '{username}' is inactive. / کاربر «{username}» غیرفعال است."
            )
        name = name.strip()
        if not name:
            raise CommandError("Give the token a name. / برای توکن نامی بدهید.")
        token, secret = ApiToken.issue(user, name)
        self.stderr.write(
            f"Token '{token.name}' ({token.prefix}…) for {user.username}. Keep the secret below: "
            "it is not stored and will not be shown again.\n"
            f"توکن «{token.name}» برای {user.username} ساخته شد. رمز زیر را نگه دارید: "
            "ذخیره نمی‌شود و دوباره نمایش داده نمی‌شود."
        )
        self.stdout.write(secret)
