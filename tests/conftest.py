"""Shared fixtures: one database per test run (SQLite or PostgreSQL), emptied before each test."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("STUDYGATE_DEV", "1")
os.environ.setdefault("STUDYGATE_SECRET_KEY", "test-secret-key-0123456789-abcdefghijklmnop")

from tests import dbutil  # noqa: E402


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium for the browser tests; skipped without it, unless CI requires it."""
    from tests.live import chromium_path

    path = chromium_path()
    if path is None:
        if os.environ.get("STUDYGATE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (STUDYGATE_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="studygate-tests-") as path:
        yield path


@pytest.fixture(scope="session")
async def database_url(tmp_root):
    url = await dbutil.create_database(tmp_root)
    await dbutil.prepare(url)
    yield url
    await dbutil.close()
    await dbutil.drop_database(url)


@pytest.fixture
async def db(database_url):
    """An empty, migrated database with the ORM open."""
    await dbutil.clear_tables(database_url)
    yield database_url


@pytest.fixture
async def api_factory(db):
    """`await api_factory(**settings)` gives an Api client on the test database."""
    from tests.api import Api, make_settings

    clients = []

    def make(**overrides):
        client = Api(make_settings(db, **overrides))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def api(api_factory):
    return api_factory()


@pytest.fixture(scope="session")
def oidc_provider_process():
    """A real OpenID Connect provider on loopback for the whole run (tests/oidc_provider.py)."""
    from tests.oidc_provider import OidcTestProvider

    with OidcTestProvider() as provider:
        yield provider


@pytest.fixture
def oidc_provider(oidc_provider_process):
    """The e-ID provider (L7), honest and without users, and StudyGate's caches of it emptied."""
    from auth.eid import clear_caches

    oidc_provider_process.reset()
    clear_caches()
    yield oidc_provider_process
    oidc_provider_process.reset()


def pytest_configure(config):
    # The partner script's 1,000-study run (tests/test_partner_script.py): `-m "not slow"` skips it.
    config.addinivalue_line("markers", "slow: a run of a minute or so (-m 'not slow' skips it)")
