"""The packages' catalogs are merged into one at run time (a later package's translation of a
msgid replaces an earlier one's), so a msgid must mean the same text in every catalog: else one
page silently speaks with another page's words (the driver's queue said 拒绝充装, "fill
refused", for a refused delivery)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

APP = Path(__file__).resolve().parents[2] / "app"


def test_a_msgid_has_one_translation_across_the_packages():
    seen: dict[tuple[str | None, str], dict[str, str]] = {}
    for path in sorted(APP.glob("**/translations/*/LC_MESSAGES/messages.po")):
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id or not message.string:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else message.string[0]
            seen.setdefault((message.context, msgid), {})[path.parts[-5]] = text
    clashes = {key: by_package for key, by_package in seen.items()
               if len(set(by_package.values())) > 1}
    assert clashes == {}
