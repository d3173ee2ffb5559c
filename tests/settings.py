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
