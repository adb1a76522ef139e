"""Shared fixtures: real SQLite files in tmp_path and a small valid knowledge pack."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.app import App, open_app
from bot.config import Settings
from bot.store import open_db

DATA = Path(__file__).parent / "data"
SMALL_PACK = DATA / "pack"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Where a test's database file goes."""
    return tmp_path / "bot.db"


@pytest.fixture
def db(path: Path) -> Iterator[Database]:
    """A migrated SQLite database (the store's schema, no knowledge loaded)."""
    database = open_db(path)
    yield database
    database.close()


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A writable copy of the small test pack."""
    target = tmp_path / "knowledge"
    shutil.copytree(SMALL_PACK, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, pack: Path) -> Settings:
    return Settings(db_path=tmp_path / "bot.db", knowledge_path=pack)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = open_app(settings)
    yield application
    application.close()


@pytest.fixture
def bundled_app(tmp_path: Path) -> Iterator[App]:
    """The app over the shipped knowledge/ folder."""
    application = open_app(Settings(db_path=tmp_path / "bundled.db",
                                    knowledge_path=REPO / "knowledge"))
    yield application
    application.close()
