"""Create (or reset) the demo accounts and print their credentials; refused with DEBUG off."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

# Demo credentials only: the command refuses to create them in production settings.
DEMO_ACCOUNTS = [
    {
        "username": "curator",
        "password": "curator-demo-2026",
        "email": "curator@demo.invalid",
        "role": "curator: edits the catalogue in /admin/",
        "is_staff": True,
        "groups": ["Curators"],
    },
    {
        "username": "sponsor",
        "password": "sponsor-demo-2026",
        "email": "sponsor@demo.invalid",
        "role": "sponsor: browses the directory and writes briefs",
        "is_staff": False,
        "groups": [],
    },
]


class Command(BaseCommand):
    help = "Create the demo curator and sponsor accounts (DEBUG only) and print their credentials."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts have published passwords; they are only created with DEBUG on."
            )
        User = get_user_model()
        self.stdout.write("Demo accounts (for this demo only, never in production):")
        for account in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=account["username"])
            user.email = account["email"]
            user.is_staff = account["is_staff"]
            user.is_active = True
            user.set_password(account["password"])
            user.save()
            user.groups.set(Group.objects.filter(name__in=account["groups"]))
            self.stdout.write(
                f"  {account['username']:<8} / {account['password']:<18} {account['role']}"
                + ("" if created else " (reset)")
            )
