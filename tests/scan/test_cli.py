"""`python -m app.scan FILE...` prints one JSON line per file and exits 0."""

from __future__ import annotations

import json
import os
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


def test_a_console_that_cannot_print_a_character_still_gets_every_line(tmp_path: Path) -> None:
    """Under an ASCII (or GBK, cp1252) stdout, a Chinese text or file name crashed the run.

    The CLI stopped at that file with a traceback and exit status 1. Lines are JSON, so a
    character the console cannot print is written as a \\u escape instead.
    """
    text = "莲池燃气 ✓ https://gas.example.cn/c/5T8RX0ZQ1M4N6P2K"
    image, _ = canvas([(text, 60, 60)], size=(400, 300))
    named = tmp_path / "气瓶.png"
    named.write_bytes(encode(image, "PNG"))
    missing = tmp_path / "missing.jpg"
    done = subprocess.run([sys.executable, "-m", "app.scan", str(named), str(missing)],
                          cwd=REPO, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    lines = [json.loads(line) for line in done.stdout.decode("ascii").splitlines()]
    assert [line["file"] for line in lines] == [str(named), str(missing)]
    assert [c["text"] for c in lines[0]["codes"]] == [text]


def test_a_file_name_that_is_not_utf8_is_still_valid_json(tmp_path: Path) -> None:
    image, _ = canvas([(TEXT, 60, 60)], size=(400, 300))
    raw = os.fsencode(tmp_path) + b"/label\xff.png"
    with open(raw, "wb") as out:
        out.write(encode(image, "PNG"))
    done = subprocess.run([sys.executable, "-m", "app.scan", os.fsdecode(raw)], cwd=REPO,
                          capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    line = json.loads(done.stdout.decode("utf-8"))  # valid UTF-8, whatever the name's bytes
    assert line["file"] == os.fsdecode(raw) and line["codes"][0]["text"] == TEXT


def test_a_huge_file_is_refused_without_reading_it_into_memory(tmp_path: Path) -> None:
    """The CLI read every file whole before the 25 MB check: a 4 GB file took 4 GB of memory.

    Under a 1 GB address-space cap it died with a MemoryError traceback (exit status 1) and
    printed nothing for the files after it.
    """
    huge = tmp_path / "video.jpg"
    with huge.open("wb") as out:  # sparse: takes no disk space
        out.truncate(4 * 2**30)
    image, _ = canvas([(TEXT, 60, 60)], size=(400, 300))
    good = tmp_path / "label.png"
    good.write_bytes(encode(image, "PNG"))
    cap = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30));"
           "sys.argv = ['app.scan', *sys.argv[1:]]; runpy.run_module('app.scan', "
           "run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", cap, str(huge), str(good)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0] == {"file": str(huge), "error": f"image_too_large: {4 * 2**30} bytes is "
                                                    "over the 26214400-byte limit"}
    assert lines[1]["codes"][0]["text"] == TEXT


def test_a_reader_that_stops_early_gets_no_traceback(files: list[Path]) -> None:
    """`python -m app.scan *.jpg | head -1`: the closed pipe ends the run quietly."""
    with subprocess.Popen([sys.executable, "-m", "app.scan", *map(str, files * 50)], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # as `head -1` does after its line
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert json.loads(first)["file"] == str(files[0])
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
