"""Both storage backends for every test that touches the store.

A test that asks (directly or through ``db``/``bot``/``running_bot``) for the ``store``
fixture runs twice: on a SQLite file and on PostgreSQL. PostgreSQL needs
``TEST_DATABASE_URL`` (``.ci/run`` starts a throwaway server and sets it); without it
those variants are skipped with a reason saying so. Each PostgreSQL test gets a schema
of its own (``search_path`` in the URL), dropped afterwards: as fresh as a new SQLite
file, and far cheaper than a database per test. Tests that read the SQLite file itself
are marked ``sqlite_only``.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import tempfile
import tomllib
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Database

BACKENDS = ("sqlite", "postgres")
NO_POSTGRES = (
    "PostgreSQL variant skipped: TEST_DATABASE_URL is not set "
    "(.ci/run starts a throwaway server and sets it)"
)


_CACHE_DIRS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    # The matcher's on-disk cache (knowledge.matcher_cache) goes to a folder of this run's
    # own, inherited by the commands the tests start: never the user's ~/.cache. The
    # pytest-xdist workers (``make test`` runs one per core, up to four) share their
    # controller's folder, so a matcher one of them built is read by the others; the
    # controller removes it at the end.
    shared = os.environ.get("EXAM_POLICY_BOT_CACHE_DIR")
    if not (os.environ.get("PYTEST_XDIST_WORKER") and shared):
        _CACHE_DIRS.append(tempfile.mkdtemp(prefix="exam-bot-cache-"))
        os.environ["EXAM_POLICY_BOT_CACHE_DIR"] = _CACHE_DIRS[-1]
    config.addinivalue_line(
        "markers", "sqlite_only: reads or damages the SQLite file itself; not run on PostgreSQL"
    )
    config.addinivalue_line("markers", "postgres_only: PostgreSQL behaviour; needs the server")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        params = list(BACKENDS)
        if metafunc.definition.get_closest_marker("sqlite_only") is not None:
            params = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres_only") is not None:
            params = ["postgres"]
        metafunc.parametrize("backend", params, indirect=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report every PostgreSQL skip at one place, so ``-ra`` prints one line with their
    count instead of one line per test."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and NO_POSTGRES in str(longrepr[2]):
        report.longrepr = (__file__, 0, longrepr[2])
    return report


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if name == "postgres" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(NO_POSTGRES)
    return name


def with_search_path(url: str, schema: str) -> str:
    """``url`` whose connections use ``schema`` (asyncpg passes unknown query parameters
    on as server settings)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    query = [(k, v) for k, v in query if k != "search_path"] + [("search_path", schema)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


@dataclass
class Store:
    """Where this test's database lives; :meth:`open` gives another handle on it (as a
    second process would have)."""

    backend: str
    path: Path
    url: str | None = None
    opened: list[Database] = field(default_factory=list)

    async def open(self, *, clock: Callable[[], dt.datetime] | None = None) -> Database:
        kwargs = {} if clock is None else {"clock": clock}
        if self.url is not None:
            db = await Database.open_postgres(self.url, pool_size=4, **kwargs)
        else:
            db = await Database.open(self.path, **kwargs)
        self.opened.append(db)
        return db


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """The SQLite file of the ``store`` fixture (a conftest may choose another)."""
    return tmp_path / "bot.db"


@pytest.fixture
async def store(backend: str, store_path: Path) -> AsyncIterator[Store]:
    path = store_path
    if backend == "sqlite":
        holder = Store(backend, path)
        yield holder
        for db in holder.opened:
            await db.close()
        return
    import asyncpg

    base = os.environ["TEST_DATABASE_URL"]
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    holder = Store(backend, path, with_search_path(base, schema))
    try:
        yield holder
    finally:
        for db in holder.opened:
            await db.close()
        admin = await asyncpg.connect(base)
        try:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await admin.close()


@pytest.fixture(scope="module")
def toml_parsed_once() -> Iterator[None]:
    """``tomllib.loads`` with a memory, for a module whose tests each validate a copy of
    the knowledge files with one of them changed: the unchanged files' TOML is parsed
    once, not in every test (it was most of each validation).

    A text parsed before gives a fresh copy of what the parser returned for it
    (unpickled, so the loader may change it freely); a text that does not parse goes to
    the parser every time, so it raises exactly as before. What the loader does with
    the parsed files runs in full in every test."""
    parse = tomllib.loads
    parsed: dict[str, bytes] = {}

    def loads(text: str, /, **options: Any) -> dict[str, Any]:
        if options:
            return parse(text, **options)
        if text not in parsed:
            parsed[text] = pickle.dumps(parse(text))
        document: dict[str, Any] = pickle.loads(parsed[text])
        return document

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tomllib, "loads", loads)
        yield


def pytest_unconfigure(config: pytest.Config) -> None:
    while _CACHE_DIRS:
        shutil.rmtree(_CACHE_DIRS.pop(), ignore_errors=True)
