"""factory_boy factories for the catalogue, and for matching's sponsors, briefs and runs."""

import datetime

import factory
from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from core.choices import JobStatus
from matching.choices import Role
from matching.models import Brief, Membership, Organisation, Run, RunMethod
from partners.models import (
    Certification,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)
from sourcing.models import Candidate, Shortlist


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")
    kind = "cdmo"
    country = "DE"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    country = "DE"
    city = "Leverkusen"

    @factory.post_generation
    def phases(self, create, extracted, **kwargs):
        if create and extracted:
            self.phases.set(extracted)

    @factory.post_generation
    def dea_schedules(self, create, extracted, **kwargs):
        if create and extracted:
            self.dea_schedules.set(extracted)


class SiteCapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteCapability

    site = factory.SubFactory(SiteFactory)
    term = factory.LazyFunction(lambda: Term.objects.get(slug="small-molecule-api"))


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    site = factory.SubFactory(SiteFactory)
    kind = "eu-gmp"
    authority = "EMA"
    reference = factory.Sequence(lambda n: f"GMP-{n:05d}")
    # Relative to today, so that a default certificate stays valid whenever the suite runs.
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=730))


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    authority = "FDA"
    inspection_id = factory.Sequence(lambda n: str(1_000_000 + n))
    end_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=400))
    classification = "NAI"
    project_area = "Drug Quality Assurance"
    retrieved_at = factory.LazyFunction(timezone.now)


class RegulatoryActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegulatoryAction

    authority = "FDA"
    action_type = "warning-letter"
    action_date = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=3 * 365)
    )
    case_id = factory.Sequence(lambda n: str(580_000 + n))


# --- Matching: sponsors, their briefs and runs --------------------------------------------------

# The password of every factory user, for tests that sign in through the login form.
PASSWORD = "pw"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = settings.AUTH_USER_MODEL

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.LazyAttribute(lambda organisation: slugify(organisation.name))


class MembershipFactory(factory.django.DjangoModelFactory):
    """A user's place in an organisation, as a member unless `role` says otherwise."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.MEMBER


class BriefFactory(factory.django.DjangoModelFactory):
    """A brief that passes the model's validators: a mAb, no phase or batch size, every
    criterion at the default weight, no must-have; created by no one unless `created_by` is
    given. Dosage forms, services and technologies are lists of terms."""

    class Meta:
        model = Brief
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Brief {n}")
    modality = factory.LazyFunction(lambda: Term.objects.get(slug="mab"))

    @factory.post_generation
    def dosage_forms(self, create, extracted, **kwargs):
        if create and extracted:
            self.dosage_forms.set(extracted)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def technologies(self, create, extracted, **kwargs):
        if create and extracted:
            self.technologies.set(extracted)


class RunFactory(factory.django.DjangoModelFactory):
    """A run of a brief, queued unless `status` says otherwise; its organisation is the
    brief's, as the run start copies it."""

    class Meta:
        model = Run

    brief = factory.SubFactory(BriefFactory)
    organisation = factory.SelfAttribute("brief.organisation")
    method = RunMethod.WEIGHTED
    status = JobStatus.QUEUED


class ShortlistFactory(factory.django.DjangoModelFactory):
    """A shortlist of an organisation for one of its briefs (`brief=None` for a standalone one)."""

    class Meta:
        model = Shortlist

    brief = factory.SubFactory(BriefFactory)
    organisation = factory.LazyAttribute(
        lambda shortlist: shortlist.brief.organisation if shortlist.brief else OrganisationFactory()
    )
    title = factory.Sequence(lambda n: f"Shortlist {n}")


class CandidateFactory(factory.django.DjangoModelFactory):
    """A longlisted, not scored candidate: a site on a shortlist, with the site's names."""

    class Meta:
        model = Candidate

    shortlist = factory.SubFactory(ShortlistFactory)
    site = factory.SubFactory(SiteFactory)
    site_name = factory.SelfAttribute("site.name")
    provider_name = factory.SelfAttribute("site.provider.name")
