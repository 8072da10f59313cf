"""Built-in rules, grouped by area. They register through the ``egresslint.rules`` entry-point
group like third-party rules do (see ``egresslint.registry``)."""

from __future__ import annotations

from egresslint.checks import cluster as _cluster
from egresslint.checks import firewall as _firewall
from egresslint.checks import input as _input
from egresslint.checks import nsg as _nsg
from egresslint.checks import outbound as _outbound
from egresslint.checks import routing as _routing

BUILTIN_RULES = (*_input.RULES, *_routing.RULES, *_firewall.RULES, *_nsg.RULES, *_outbound.RULES,
                 *_cluster.RULES)
