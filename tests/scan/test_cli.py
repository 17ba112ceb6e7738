"""`python -m app.scan FILE...` prints one JSON line per file and exits 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scan.images import canvas, encode

REPO = Path(__file__).resolve().parents[2]
TEXT = "https://gas.example.cn/c/5T8RX0ZQ1M4N6P2K"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.scan", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def files(tmp_path: Path) -> list[Path]:
    image, _ = canvas([(TEXT, 60, 60)], size=(400, 300))
    good = tmp_path / "label.jpg"
    good.write_bytes(encode(image, "JPEG", quality=90))
    broken = tmp_path / "broken.png"
    broken.write_bytes(encode(image, "PNG")[:300])
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    return [good, broken, text, tmp_path / "missing.jpg"]


def test_one_json_line_per_file(files: list[Path]) -> None:
    done = run(*map(str, files))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    good = lines[0]
    assert set(good) == {"file", "codes", "ms"}
    assert good["codes"][0]["text"] == TEXT
    assert len(good["codes"][0]["points"]) == 4
    assert all(len(p) == 2 for p in good["codes"][0]["points"])
    assert isinstance(good["ms"], float) and good["ms"] >= 0
    for line in lines[1:]:
        assert set(line) == {"file", "error"} and line["error"]
    assert lines[1]["error"].startswith("corrupt_image")
    assert lines[2]["error"].startswith("unsupported_image")
    assert "cannot read file" in lines[3]["error"]


@pytest.mark.parametrize("args", [[], ["--no-such-option", "x.jpg"]])
def test_wrong_arguments_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert "usage" in done.stderr
    assert done.stdout == ""
