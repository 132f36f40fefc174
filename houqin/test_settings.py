"""Settings for the test suite: the production settings, less what tests cannot have."""

from houqin import settings as _base

globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

# Tests render templates without running collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STATIC_ROOT = None  # nothing is collected for tests; avoids whitenoise warning about a missing folder
