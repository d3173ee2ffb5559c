"""Settings come from the environment, strictly: a bad value stops start-up, naming it."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base.update({"DJANGO_SETTINGS_MODULE": "riskdesk.settings", "DEBUG": "true", **env})
    command = args or ("-c", "import django; django.setup()")
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL='mysql://x/y'"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL='localhost:6379' is not a redis:// URL"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE='Mars/Olympus' is not a known time zone"),
        ("SESSION_IDLE_MINUTES", "soon", "SESSION_IDLE_MINUTES='soon' is not a whole number"),
        ("ALLOWED_HOSTS", "a,,b", "ALLOWED_HOSTS='a,,b' has an empty entry"),
        ("RISKDESK_GATEWAY_TIMEOUT", "soon", "RISKDESK_GATEWAY_TIMEOUT='soon' is not a number"),
        ("RISKDESK_GATEWAY_TIMEOUT", "0", "RISKDESK_GATEWAY_TIMEOUT='0' must be more than 0"),
        ("RISKDESK_GATEWAY_TIMEOUT", "nan", "RISKDESK_GATEWAY_TIMEOUT='nan' is not a number"),
        ("RISKDESK_GATEWAY_TIMEOUT", "inf", "RISKDESK_GATEWAY_TIMEOUT='inf' is not a number"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_message_naming_it(variable, value, says) -> None:
    result = start({variable: value})
    assert result.returncode != 0
    assert says in result.stderr


def test_the_gateway_timeout_takes_fractions_of_a_second() -> None:
    show = "from django.conf import settings as s; print(repr(s.RISKDESK_GATEWAY_TIMEOUT))"
    result = start(
        {"RISKDESK_GATEWAY_TIMEOUT": "2.5"},
        "-c",
        f"import django; django.setup(); {show}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.5"


def test_production_needs_a_secret_key() -> None:
    result = start({"DEBUG": "false", "SECRET_KEY": "", "ALLOWED_HOSTS": "desk.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = start(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "a-long-random-production-secret-9f8e7d6c5b4a",
            "ALLOWED_HOSTS": "desk.example",
        },
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
