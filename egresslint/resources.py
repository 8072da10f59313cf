"""One loader for the files shipped beside the code: ``grammar/*.lark`` and ``rules/*.yaml``.

Both folders live at the repository top level (design card) and are mapped into the wheel as
the packages ``egresslint.grammar`` and ``egresslint.rules``. From a source checkout that was
not installed, the folders next to the package are used.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

_TOP = Path(__file__).resolve().parent.parent


@functools.cache
def read_text(folder: str, name: str) -> str:
    """Text of ``folder/name`` where folder is ``grammar`` or ``rules``."""
    if folder not in ("grammar", "rules"):
        raise ValueError(f"unknown resource folder {folder!r}")
    try:
        return resources.files(f"egresslint.{folder}").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (_TOP / folder / name).read_text(encoding="utf-8")


@functools.cache
def load_yaml(name: str) -> object:
    """Parsed ``rules/<name>`` (safe loader)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(read_text("rules", name), Loader=loader)  # noqa: S506 (a SafeLoader, C or pure)
