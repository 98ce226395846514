"""Create (or reset) the demo accounts and print their credentials; refused with DEBUG off.

Sponsors belong to one of two demo sponsor organisations, so that signing in as each shows that
an organisation's briefs are its own; each sponsor is its organisation's admin. Helix Therapeutics
also has a procurement member (`buyer`), who works its shortlists, and a viewer (`viewer`), who
reads and changes nothing. Each organisation starts with one example brief, created when missing
and otherwise left as its users edited it.
"""

from typing import NotRequired, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from matching.choices import Role
from matching.models import Brief, Membership, Organisation
from partners.models import Term

# The demo's sponsor organisations (slug -> name).
DEMO_ORGANISATIONS = {
    "helix-therapeutics": "Helix Therapeutics",
    "northwind-biologics": "Northwind Biologics",
}


class DemoAccount(TypedDict):
    username: str
    password: str
    email: str
    role: str
    is_staff: bool
    groups: list[str]
    organisation: NotRequired[str]  # a slug of DEMO_ORGANISATIONS; its members only
    membership_role: NotRequired[Role]  # the member's role there (a member unless said)


# Demo credentials only: the command refuses to create them in production settings.
DEMO_ACCOUNTS: list[DemoAccount] = [
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
        "role": "sponsor: writes briefs for Helix Therapeutics, manages its members",
        "is_staff": False,
        "groups": [],
        "organisation": "helix-therapeutics",
        "membership_role": Role.ADMIN,
    },
    {
        "username": "sponsor2",
        "password": "sponsor2-demo-2026",
        "email": "sponsor2@demo.invalid",
        "role": "sponsor: writes briefs for Northwind Biologics, manages its members",
        "is_staff": False,
        "groups": [],
        "organisation": "northwind-biologics",
        "membership_role": Role.ADMIN,
    },
    {
        "username": "buyer",
        "password": "buyer-demo-2026",
        "email": "buyer@demo.invalid",
        "role": "procurement: works the shortlists of Helix Therapeutics",
        "is_staff": False,
        "groups": [],
        "organisation": "helix-therapeutics",
        "membership_role": Role.MEMBER,
    },
    {
        "username": "viewer",
        "password": "viewer-demo-2026",
        "email": "viewer@demo.invalid",
        "role": "viewer: reads the briefs and shortlists of Helix Therapeutics",
        "is_staff": False,
        "groups": [],
        "organisation": "helix-therapeutics",
        "membership_role": Role.VIEWER,
    },
]

# One example brief per organisation (slug -> fields; term slugs for the modality and forms).
DEMO_BRIEFS = {
    "helix-therapeutics": {
        "title": "Phase 2 mAb, EU and US supply",
        "modality": "mab",
        "phase": "phase2",
        "batch_size": 2000,
        "batch_unit": "L",
        "target_markets": ["US", "EU"],
        "required_certifications": ["eu-gmp"],
        "preferred_regions": ["europe"],
        "excluded_countries": ["CN"],
        "must_haves": ["phase"],
        "must_have_items": {"required_certifications": ["eu-gmp"]},
    },
    "northwind-biologics": {
        "title": "Commercial HPAPI tablets for the US",
        "modality": "hpapi",
        "dosage_forms": ["oral-solid"],
        "phase": "commercial",
        "batch_size": 50,
        "batch_unit": "kg",
        "target_markets": ["US"],
        "max_oel_ug_m3": 1.0,
        "preferred_regions": ["north-america"],
        "must_haves": ["containment"],
        "must_have_items": {"target_markets": ["US"]},
    },
}


class Command(BaseCommand):
    help = (
        "Create the demo curator, sponsor, procurement and viewer accounts (DEBUG only) and "
        "print their credentials."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts have published passwords; they are only created with DEBUG on."
            )
        User = get_user_model()
        organisations = {
            slug: Organisation.objects.update_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in DEMO_ORGANISATIONS.items()
        }
        self.stdout.write("Demo accounts (for this demo only, never in production):")
        for account in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=account["username"])
            user.email = account["email"]
            user.is_staff = account["is_staff"]
            user.is_active = True
            user.set_password(account["password"])
            user.save()
            user.groups.set(Group.objects.filter(name__in=account["groups"]))
            if "organisation" in account:
                Membership.objects.update_or_create(
                    user=user,
                    defaults={
                        "organisation": organisations[account["organisation"]],
                        "role": account.get("membership_role", Role.MEMBER),
                    },
                )
            self.stdout.write(
                f"  {account['username']:<8} / {account['password']:<18} {account['role']}"
                + ("" if created else " (reset)")
            )
        for slug, fields in DEMO_BRIEFS.items():
            self._example_brief(organisations[slug], dict(fields))

    def _example_brief(self, organisation: Organisation, fields: dict) -> None:
        title = fields.pop("title")
        if Brief.objects.filter(organisation=organisation, title=title).exists():
            return
        dosage_forms = Term.objects.filter(slug__in=fields.pop("dosage_forms", []))
        brief = Brief(
            organisation=organisation,
            title=title,
            modality=Term.objects.get(slug=fields.pop("modality")),
            **fields,
        )
        brief.full_clean()
        brief.save()
        brief.dosage_forms.set(dosage_forms)
        self.stdout.write(f"  Example brief for {organisation}: “{title}”")
