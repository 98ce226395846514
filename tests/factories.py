"""factory_boy factories for the catalogue."""

import datetime

import factory
from django.utils import timezone

from partners.models import (
    Certification,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)


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
