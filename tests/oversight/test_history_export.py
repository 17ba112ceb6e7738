"""The proof a regulator hands on: a cylinder's history with its hashes, which anyone can
re-verify with scripts/verify_history.py (plain Python, no platform), and which no longer
verifies once a value in it is changed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.oversight.conftest import BASE

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_history.py"


def _verify(tmp_path: Path, history: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)


def test_an_exported_history_is_re_verified_without_the_platform(browser, api, registry,
                                                                  world, events, tmp_path):
    code = registry.cylinder()["code"]
    events.fill(code, at=BASE)
    events.dispatch(code, at=BASE.replace(hour=9, microsecond=123456))
    events.deliver(code, at=BASE.replace(hour=10), lat=38.8612345, lon=115.4712345,
                   place="莲池区东关大街 3 号")
    seized = api.post(f"/api/v1/cylinders/{code}/seize", world.regulator,
                      json={"note": "查扣：超期未检", "order_no": "保安监〔2026〕7号"})
    assert seized.status_code == 201
    c = browser.as_user(world.users["regulator"].id)
    page = c.get(f"/oversight/cylinders/{code}").get_data(as_text=True)
    link = f'href="/api/v1/cylinders/{code}/history" download="{code}-history.json"'
    assert link in page  # the timeline page offers the file
    history = c.get(f"/api/v1/cylinders/{code}/history").get_json()
    assert len(history["events"]) == 5

    run = _verify(tmp_path, history)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{code}: 5 events verify; last hash {history['events'][-1]['hash']}" in run.stdout

    history["events"][3]["place"] = "莲池区东关大街 4 号"  # edited after export
    run = _verify(tmp_path, history)
    assert run.returncode == 1
    assert f"BROKEN {code}: event 4 does not match its hash" in run.stdout
    del history["events"][1]
    assert "event 2 is missing (found 3)" in _verify(tmp_path, history).stdout
