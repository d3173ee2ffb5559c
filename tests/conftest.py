import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from apps.people.models import User
from tests.factories import make_person

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    redis_url = os.environ.get("RISKDESK_TEST_REDIS_URL", "")
    chromium = shutil.which(os.environ.get("RISKDESK_CHROMIUM", "chromium"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL (run by make test's 2nd run)")
            )
        if "redis" in item.keywords and not redis_url:
            item.add_marker(pytest.mark.skip(reason="needs Redis (run by make test's 2nd run)"))
        if "browser" in item.keywords and not chromium and not IN_CI:
            item.add_marker(pytest.mark.skip(reason="no chromium on this machine"))


@pytest.fixture(scope="session", autouse=True)
def flush_empties_the_audit_chain() -> Iterator[None]:
    """A transactional test ends with a flush, which the audit chain's triggers refuse (as
    they should in production): the test runner does what a database superuser would, lifts
    the triggers around the flush and puts them back."""
    from apps.desk.chain_sql import TABLE, seal, unseal

    operations = type(connection.ops)
    original = operations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if TABLE not in tables:
            return statements
        vendor = self.connection.vendor
        return [*unseal(vendor), *statements, *seal(vendor)]

    operations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    operations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def redis_url() -> str:
    return os.environ["RISKDESK_TEST_REDIS_URL"]


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def operator(db: None) -> User:
    return make_person("olga", "operator")


@pytest.fixture
def supervisor(db: None) -> User:
    return make_person("sam", "supervisor")


@pytest.fixture
def auditor(db: None) -> User:
    return make_person("audrey", "auditor")


@pytest.fixture
def customer_service(db: None) -> User:
    return make_person("carla", "customer_service")


@pytest.fixture
def strategist(db: None) -> User:
    return make_person("tess", "strategy")


@pytest.fixture
def system_user(db: None) -> User:
    return make_person("detector", "system")
