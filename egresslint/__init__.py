"""egresslint: a policy linter for Azure Kubernetes Service egress configuration.

The library API is :func:`scan`; everything heavy is imported lazily so that
``egresslint --version`` starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "scan"]

# typing.TYPE_CHECKING without importing typing (~2 ms of `egresslint --version`)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from egresslint.report import Report


def scan(paths: Any = ".", config: Any = None) -> Report:
    """Scan files or directories and return a :class:`~egresslint.report.Report`."""
    from egresslint.engine import scan as _scan

    return _scan(paths, config)
