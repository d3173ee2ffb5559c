"""Factories for the desk's records; names read as the desk speaks."""

from datetime import UTC, datetime

import factory
from django.contrib.auth.models import Group

from apps.accounts.models import ControlCluster, ExchangeAccount, Identifier
from apps.people.models import User

PASSWORD = "correct horse battery staple"


def make_person(username: str, role: str | None) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, first_name=username.title()
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


class ControlClusterFactory(factory.django.DjangoModelFactory[ControlCluster]):
    class Meta:
        model = ControlCluster

    key = factory.Sequence(lambda n: f"C{n:05d}")
    size = 0


class ExchangeAccountFactory(factory.django.DjangoModelFactory[ExchangeAccount]):
    class Meta:
        model = ExchangeAccount

    account_id = factory.Sequence(lambda n: f"U{100000 + n}")
    registered_at = datetime(2025, 6, 1, tzinfo=UTC)
    kyc_level = 2
    vip_tier = 0


class IdentifierFactory(factory.django.DjangoModelFactory[Identifier]):
    class Meta:
        model = Identifier

    account = factory.SubFactory(ExchangeAccountFactory)
    kind = Identifier.Kind.IP
    value = factory.Sequence(lambda n: f"10.0.{n // 250}.{n % 250}")
    first_seen = datetime(2026, 11, 20, tzinfo=UTC)
    last_seen = datetime(2026, 11, 20, 12, tzinfo=UTC)
