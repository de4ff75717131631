import os

import pytest

from course_lib.client import factory as client_module
from course_lib.config import ENV_API_KEYS, ENV_BASE_URL, ENV_LIVE, ENV_LIVE_BUDGET


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Every test starts offline with no key, and leaves no fake server behind."""
    for name in (*ENV_API_KEYS, ENV_BASE_URL, ENV_LIVE, ENV_LIVE_BUDGET):
        monkeypatch.delenv(name, raising=False)
    yield
    client_module.stop_offline()
    client_module._fake = None
    assert not os.environ.get(ENV_BASE_URL)
