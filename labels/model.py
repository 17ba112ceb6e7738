"""The data printed on one cylinder label."""
from __future__ import annotations

from dataclasses import dataclass

GROUP = 4


@dataclass(frozen=True, slots=True)
class Label:
    """One cylinder label: its code, the QR text and the lines printed beside it."""

    code: str
    payload: str
    owner_name: str
    model: str | None = None
    serial_no: str | None = None

    def __post_init__(self) -> None:
        """Refuse labels that would print blank or break a printer command stream."""
        if not self.code.strip():
            raise ValueError("Label.code is empty")
        if not self.payload:
            raise ValueError(f"Label.payload is empty for code {self.code!r}")
        for name in ("code", "payload", "owner_name", "model", "serial_no"):
            value = getattr(self, name)
            if value is not None and any(ch < " " for ch in value):
                raise ValueError(f"Label.{name} contains a control character: {value!r}")

    @property
    def code_text(self) -> str:
        """Return the code grouped for reading aloud, e.g. 7K3M-QX9P-2HBD-W4TZ."""
        return format_code(self.code)

    def detail_lines(self) -> list[str]:
        """Return the optional lines (model, serial number) in print order."""
        lines = []
        if self.model:
            lines.append(f"型号 {self.model}")
        if self.serial_no:
            lines.append(f"编号 {self.serial_no}")
        return lines


def format_code(code: str) -> str:
    """Group a code in fours so a person can read and type it without losing their place."""
    plain = "".join(code.split()).replace("-", "").upper()
    return "-".join(plain[i:i + GROUP] for i in range(0, len(plain), GROUP))


def split_code(code_text: str) -> tuple[str, str]:
    """Split a grouped code into two halves at a group boundary for narrow labels."""
    groups = code_text.split("-")
    half = (len(groups) + 1) // 2
    return "-".join(groups[:half]), "-".join(groups[half:])
