"""Helpers for the reliability tests: run callables at the same instant from many threads."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.conftest import Actor


def at_once(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run the calls in threads released together by a barrier; return results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # surface any thread's failure in the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a concurrent call hung"
    if errors:
        raise errors[0]
    return results


class ThreadApi:
    """Call the JSON API from any thread: one test client per call, like separate phones."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def call(self, method: str, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if actor is not None:
            headers.update(actor.headers)
        client = self.app.test_client()
        with self.app.app_context():
            return client.open(path, method=method, headers=headers, buffered=True, **kw)

    def post(self, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        return self.call("POST", path, actor, **kw)

    def get(self, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        return self.call("GET", path, actor, **kw)


@pytest.fixture
def tapi(clean_app: Flask) -> ThreadApi:
    return ThreadApi(clean_app)
