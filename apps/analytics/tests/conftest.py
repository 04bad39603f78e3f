import pytest

from kernel.auth.keys import keyring
from kernel.testing.auth import use_key_dir


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("jwt")


@pytest.fixture(autouse=True)
def signing_keys(key_dir, settings):
    """A throwaway key ring, so tests mint tokens as accounts would."""
    settings.HEARTH_JWT_KEY_DIR = str(key_dir)
    use_key_dir(key_dir, ["accounts"])
    yield
    keyring.cache_clear()
