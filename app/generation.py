"""A per-host change counter that every worker process can read for the price of one `stat`.

Caches kept per worker (bearer tokens, the product blacklist) must drop what they hold as soon
as any worker on the host commits a change to it. Each cache owns a file in the instance
directory; a change appends one byte, and a cache is valid only while the file's size is the
one it saw when it filled.
"""
from __future__ import annotations

import os
from pathlib import Path


class GenerationFile:
    """`value()` is the file's size (-1 when there is no file); `bump()` appends a byte."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def in_instance(cls, instance_dir: str | Path, name: str) -> GenerationFile:
        """The named file in the instance directory, or no file if it cannot be created."""
        path: Path | None = Path(instance_dir) / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
        except OSError:
            path = None  # no shared file: callers keep no cache rather than one they cannot drop
        return cls(path)

    def value(self) -> int:
        try:
            return os.stat(self.path).st_size if self.path else -1
        except OSError:
            return -1

    def bump(self) -> None:
        if self.path is None:
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)
