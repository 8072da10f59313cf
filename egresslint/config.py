"""Configuration: ``[tool.egresslint]`` in pyproject.toml or ``.egresslint.yaml`` (same keys),
then command-line options on top. Unknown keys and wrong types are errors naming the key
(the CLI exits 2)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from egresslint.files import DEFAULT_MAX_FILE_SIZE
from egresslint.findings import Severity


class ConfigError(ValueError):
    """A configuration problem; the message names the key and the file."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty = all rules
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, rules)
    fail_on: Severity = Severity.WARNING
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False  # apply the excludes to paths given by name too (pre-commit)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    facts: dict[str, Any] = field(default_factory=dict)
    packs: tuple[str, ...] = ()
    cloud: str = "AzureCloud"
    region: str | None = None
    jobs: int = 0  # worker processes for parsing; 0 = one per core
    cache: bool = False  # reuse parse results from .egresslint_cache/ (the CLI turns it on)
    # set by the CLI, not by files
    only_files: frozenset[str] | None = None  # report findings only in these display paths
    baseline: frozenset[str] | None = None  # fingerprints of accepted findings (--baseline)
    source: str | None = None  # the file this configuration came from

    def with_overrides(self, **overrides: Any) -> Config:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


_KEYS: dict[str, str] = {  # file key -> field name
    "select": "select",
    "ignore": "ignore",
    "per-file-ignores": "per_file_ignores",
    "fail-on": "fail_on",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "force-exclude": "force_exclude",
    "max-file-size": "max_file_size",
    "facts": "facts",
    "packs": "packs",
    "cloud": "cloud",
    "region": "region",
}
CLOUDS = ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment")


def _str_list(key: str, value: Any, origin: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{origin}: '{key}' must be a list of strings")


def from_mapping(data: Any, origin: str) -> Config:
    """Build a Config from the parsed table/mapping of a config file."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: the egresslint configuration must be a table/mapping")
    values: dict[str, Any] = {"source": origin}
    for key, value in data.items():
        name = _KEYS.get(key) or _KEYS.get(str(key).replace("_", "-"))
        if name is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{origin}: unknown key '{key}' (known keys: {known})")
        if name in ("select", "ignore", "exclude", "extend_exclude"):
            values[name] = _str_list(key, value, origin)
        elif name == "packs":
            base = Path(origin).parent
            values[name] = tuple(str(base / p) for p in _str_list(key, value, origin))
        elif name == "per_file_ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: '{key}' must map glob patterns to lists of rules")
            values[name] = tuple((str(glob), _str_list(f"{key}.{glob}", rules, origin))
                                 for glob, rules in value.items())
        elif name == "fail_on":
            try:
                values[name] = Severity.parse(str(value))
            except ValueError as exc:
                raise ConfigError(f"{origin}: '{key}': {exc}") from None
        elif name == "force_exclude":
            if not isinstance(value, bool):
                raise ConfigError(f"{origin}: '{key}' must be true or false")
            values[name] = value
        elif name == "max_file_size":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{origin}: '{key}' must be a positive integer (bytes)")
            values[name] = value
        elif name == "facts":
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: '{key}' must be a mapping")
            values[name] = value
        elif name == "cloud":
            if value not in CLOUDS:
                raise ConfigError(f"{origin}: '{key}' must be one of {', '.join(CLOUDS)}")
            values[name] = value
        elif name == "region":
            if not isinstance(value, str):
                raise ConfigError(f"{origin}: '{key}' must be a string")
            values[name] = value
    return Config(**values)


def load(root: Path, explicit: Path | None = None) -> Config:
    """The configuration of the project at ``root`` (or from ``explicit``)."""
    candidates = [explicit] if explicit is not None else [root / ".egresslint.yaml", root / "pyproject.toml"]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit is not None:
                raise ConfigError(f"{explicit}: configuration file not found")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        if path.name.endswith(".toml"):
            table = _toml_table(text, path)
            if table is None:
                if explicit is not None:
                    raise ConfigError(f"{path}: no [tool.egresslint] table")
                continue
            return from_mapping(table, str(path))
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
        return from_mapping(data or {}, str(path))
    return Config()


def _toml_table(text: str, path: Path) -> Any:
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return data.get("tool", {}).get("egresslint")


def describe(config: Config) -> dict[str, Any]:
    """The effective configuration as plain data (``--show-config``)."""
    out: dict[str, Any] = {}
    inverse = {v: k for k, v in _KEYS.items()}
    for f in fields(config):
        if f.name in ("only_files", "baseline", "jobs", "cache"):
            continue
        value = getattr(config, f.name)
        if isinstance(value, Severity):
            value = value.label
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[inverse.get(f.name, f.name)] = value
    return out
