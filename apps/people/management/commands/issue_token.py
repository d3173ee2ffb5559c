from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken

from apps.people.access import has_role
from apps.people.models import User
from apps.people.roles import Role


class Command(BaseCommand):
    help = "Print a new API token for a user of the `system` group (shown once, stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, username: str, **options: object) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if not has_role(user, Role.SYSTEM):
            raise CommandError(
                f"{username!r} is not in the `system` group; API tokens are for systems only."
            )
        _, token = AuthToken.objects.create(user=user)
        self.stdout.write(token)
