"""Lark grammars, shipped as the package ``egresslint.grammar`` (see egresslint.resources)."""
