"""The suite's key ring: pytest uses the fixtures a conftest imports."""

from kernel.testing.auth import key_dir, signing_keys, signing_services  # noqa: F401 (fixtures)
