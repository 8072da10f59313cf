"""Shared test setup: strict mode (internal errors raise), and the location of ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ["EGRESSLINT_STRICT"] = "1"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test where it is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is only next to the project in CI)")
    return path
