"""Keep the active blacklist entries per worker process, so a fill does not query them.

The blacklist changes a few times a year; the interlock asks it on every fill. A worker keeps
plain copies of the active entries and refills them when any worker of the host commits a
change to the blacklist (`<INSTANCE_DIR>/blacklist-generation` grows, as for the token cache),
so a new entry refuses fills from the next request on. A copy also expires after
`BLACKLIST_CACHE_SECONDS` (default 5): the bound for servers on other hosts sharing the
database. `BLACKLIST_CACHE_SECONDS = 0` turns the cache off.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.generation import GenerationFile
from app.oversight.models import BlacklistEntry

GENERATION_FILE = "blacklist-generation"
CHANGED = "blacklist_changed"


@dataclass(frozen=True)
class ActiveEntry:
    """What a fill check and a flag need of an active entry, read only."""

    id: int
    manufacturer: str | None
    model: str | None
    made_in: dt.date | None
    reason: str
    description: str

    def describe(self) -> str:
        return self.description


def active_entry(entry: BlacklistEntry) -> ActiveEntry:
    return ActiveEntry(entry.id, entry.manufacturer, entry.model, entry.made_in, entry.reason,
                       entry.describe())


class BlacklistCache:
    """The active entries, valid for one generation of the file and a few seconds."""

    def __init__(self, generations: GenerationFile, ttl: float) -> None:
        self.generations, self.ttl = generations, ttl
        self._held: tuple[int, float, tuple[ActiveEntry, ...]] | None = None
        self._lock = threading.Lock()

    def entries(self, load: Callable[[], list[ActiveEntry]]) -> tuple[ActiveEntry, ...]:
        """The cached entries, or `load()`'s when the cache is off, stale or expired."""
        generation = self.generations.value()  # read before loading: a later change refills
        held = self._held
        if held is not None and held[0] == generation >= 0 and time.monotonic() < held[1]:
            return held[2]
        entries = tuple(load())
        if generation >= 0 and self.ttl > 0:
            with self._lock:
                self._held = (generation, time.monotonic() + self.ttl, entries)
        return entries

    def bump(self) -> None:
        """Tell every worker on this host that the blacklist changed."""
        self._held = None
        self.generations.bump()


def init_blacklist_cache(app: Flask) -> None:
    generations = GenerationFile.in_instance(app.config["INSTANCE_DIR"], GENERATION_FILE)
    app.extensions["blacklist_cache"] = BlacklistCache(
        generations, float(app.config.get("BLACKLIST_CACHE_SECONDS", 5)))


def blacklist_cache(session: Session) -> BlacklistCache | None:
    """The app's cache, unless this session holds uncommitted blacklist changes."""
    if session.info.get(CHANGED) or not has_app_context():
        return None
    return current_app.extensions.get("blacklist_cache")


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, BlacklistEntry):
            session.info[CHANGED] = True
            return


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(CHANGED, False) and has_app_context():
        cache = current_app.extensions.get("blacklist_cache")
        if cache is not None:
            cache.bump()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(CHANGED, None)
