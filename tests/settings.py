"""Test settings: the real ones, read from a test environment, with fast password hashing."""

import os

os.environ.setdefault("DEBUG", "true")  # the development secret key and hosts
os.environ.setdefault("HTTPS", "false")

from riskdesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["*"]
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405

# Browser tests drive several sessions at once. An in-memory SQLite database shared between
# threads answers "table is locked" at once instead of waiting; a file waits (timeout above).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-riskdesk.sqlite3")}  # noqa: F405
