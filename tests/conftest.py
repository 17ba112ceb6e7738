"""Shared fixtures: one app per database backend, a clean database per test, API helpers.

Every test that takes `app` (directly or through `client`, `world`, `api`...) runs on SQLite
and, when TEST_DATABASE_URL points at PostgreSQL, on PostgreSQL too.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db

TODAY = dt.date(2026, 6, 15)
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
RULE_TABLES = {"model_specs", "life_rules", "alembic_version"}
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc}", pytrace=False)
    finally:
        engine.dispose()


def make_app(backend: str, tmp: Path, **overrides: Any) -> Flask:
    """Build an app on a fresh, migrated database of the given backend."""
    if backend == "postgresql":
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
    config = {
        "APP_ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_DIR": str(tmp), "SECRET_KEY": "test-secret", "FIXED_TODAY": TODAY,
        "PUBLIC_BASE_URL": "https://gas.example.cn", "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False, **overrides,
    }
    os.environ.setdefault("INSTANCE_DIR", str(tmp))
    app = create_app(config)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session", params=BACKENDS)
def app(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application on a migrated database, once per backend."""
    application = make_app(request.param, tmp_path_factory.mktemp(request.param))
    application.config["BACKEND"] = request.param
    yield application
    with application.app_context():
        db.engine.dispose()


def _clean(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in RULE_TABLES]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
        _restore_rule_table()


def _restore_rule_table() -> None:
    from sqlalchemy import delete

    from app.traceability.models import ModelSpecRow
    from app.traceability.rules import load_defaults

    _, specs = load_defaults()
    # a model a test added would be in every later test's table (and its history)
    db.session.execute(delete(ModelSpecRow).where(
        ModelSpecRow.model.not_in([spec.model for spec in specs])))
    for spec in specs:
        row = db.session.get(ModelSpecRow, spec.model)
        for key, value in spec.__dict__.items():
            setattr(row, key, value)
    db.session.commit()


@pytest.fixture
def clean_app(app: Flask) -> Iterator[Flask]:
    """The app with an empty database (rule table at its defaults) after the test."""
    yield app
    _clean(app)


@pytest.fixture
def client(clean_app: Flask) -> FlaskClient:
    return clean_app.test_client()


@pytest.fixture
def ctx(clean_app: Flask) -> Iterator[Flask]:
    """An app context for calling services directly."""
    with clean_app.app_context():
        yield clean_app
        db.session.rollback()


@dataclass
class Actor:
    name: str
    id: int
    org_id: int
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Call the JSON API as a given actor."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def call(self, method: str, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if actor is not None:
            headers.update(actor.headers)
        # A fresh app context per request, as in production: its own session and its own `g`,
        # even while the test holds an app context of its own for calling services.
        with self.client.application.app_context():
            return self.client.open(path, method=method, headers=headers, buffered=True, **kw)

    def get(self, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        return self.call("GET", path, actor, **kw)

    def post(self, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        return self.call("POST", path, actor, **kw)

    def put(self, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        return self.call("PUT", path, actor, **kw)

    def delete(self, path: str, actor: Actor | None = None, **kw: Any) -> Any:
        return self.call("DELETE", path, actor, **kw)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@dataclass
class World:
    """A small district: a regulator, a gas company, two stations, an agency, a printer."""

    orgs: dict[str, int]
    users: dict[str, Actor]

    def __getattr__(self, name: str) -> Actor:
        try:
            return self.users[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


WORLD_ORGS = [
    ("regulator", "区市场监督管理局", "regulator"),
    ("company", "莲池燃气公司", "gas_company"),
    ("station_a", "第一充装站", "filling_station"),
    ("station_b", "南郊充装站", "filling_station"),
    ("agency", "特检院", "inspection_agency"),
    ("printer", "印务公司", "printer"),
]
WORLD_USERS = [("admin", "regulator", "admin"), ("regulator", "regulator", "regulator"),
               ("company_admin", "company", "admin"), ("company_filler", "company", "filler"),
               ("filler_a", "station_a", "filler"), ("filler_b", "station_b", "filler"),
               ("station_a_admin", "station_a", "admin"), ("driver", "company", "driver"),
               ("inspector", "agency", "inspector"), ("printer", "printer", "printer")]


@pytest.fixture
def world(ctx: Flask) -> World:
    """Create the small district through the services and give every user a token."""
    from app.auth import services

    orgs = {key: services.create_org(name, kind).id for key, name, kind in WORLD_ORGS}
    users = {}
    for name, org_key, role in WORLD_USERS:
        user = services.create_user(None, name, orgs[org_key], role)
        users[name] = Actor(name, user.id, user.org_id, role, services.issue_token(user))
    db.session.commit()
    return World(orgs, users)


@pytest.fixture
def registry(world: World, api: Api) -> Registry:
    return Registry(world, api)


class Registry:
    """Issue codes and register cylinders through the API, for tests of later steps."""

    def __init__(self, world: World, api: Api) -> None:
        self.world = world
        self.api = api
        self._serial = 0

    def codes(self, count: int = 1, owner: str = "company") -> list[dict]:
        resp = self.api.post("/api/v1/code-batches", self.world.regulator,
                             json={"count": count, "owner_org_id": self.world.orgs[owner]})
        assert resp.status_code == 201, resp.json
        return resp.json["codes"]

    def cylinder(self, owner: str = "company", **fields: Any) -> dict:
        code = fields.pop("code", None) or self.codes(1, owner)[0]["code"]
        self._serial += 1
        body = {"code": code, "serial_no": f"SN{self._serial:06d}", "manufacturer": "百工容器",
                "model": "YSP35.5", "manufactured_on": "2022-03-01",
                "owner_org_id": self.world.orgs[owner], "registration_no": f"R{self._serial}",
                "last_inspected_on": "2024-05-01", **fields}
        resp = self.api.post("/api/v1/cylinders", self.world.regulator, json=body)
        assert resp.status_code == 201, resp.json
        return resp.json


# --- real browser ------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
BROWSER_PASSWORD = "password-123"


@dataclass
class LiveServer:
    url: str
    app: Flask
    world: World


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Serve the app on a real socket (SQLite file database) with a small district in it."""
    from app.auth import services

    application = live_app(tmp_path_factory.mktemp("live"))
    with application.app_context():
        orgs = {key: services.create_org(name, kind).id for key, name, kind in WORLD_ORGS}
        users = {}
        for name, org_key, role in WORLD_USERS:
            user = services.create_user(None, name, orgs[org_key], role, password=BROWSER_PASSWORD)
            users[name] = Actor(name, user.id, user.org_id, role, services.issue_token(user))
        db.session.commit()
    with serve(application) as url:
        yield LiveServer(url, application, World(orgs, users))


def live_app(tmp: Path, **overrides: Any) -> Flask:
    """An app (SQLite file database) as a browser meets it: CSRF on, errors as pages."""
    return make_app("sqlite", tmp, WTF_CSRF_ENABLED=True, TESTING=False, **overrides)


@contextmanager
def serve(application: Flask) -> Iterator[str]:
    """Serve the app on a real socket for as long as the block runs; give its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, application, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    application.config["PUBLIC_BASE_URL"] = url
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield url
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A real headless Chromium from the Debian package."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs the Debian chromium package",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh phone-sized browser page (own cookies and storage) against the live server."""
    context = chromium.new_context(viewport={"width": 412, "height": 860}, locale="zh-CN",
                                   base_url=live_server.url)
    pg = context.new_page()
    yield pg
    context.close()


def login(page: Any, user: str) -> None:
    """Sign in through the login form."""
    page.goto("/login")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot of the page under docs/screenshots for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
