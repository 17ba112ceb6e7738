"""Fixtures shared by the label tests."""
from __future__ import annotations

import pytest

from labels import Template, load_templates


@pytest.fixture(scope="session")
def templates() -> dict[str, Template]:
    """Return the built-in presets."""
    return load_templates()
