"""Built-in rules, grouped by area. They register through the ``egresslint.rules`` entry-point
group like third-party rules do (see ``egresslint.registry``)."""

from __future__ import annotations

from egresslint.checks import cluster as _cluster
from egresslint.checks import input as _input
from egresslint.checks import routing as _routing

BUILTIN_RULES = (*_input.RULES, *_routing.RULES, *_cluster.RULES)
