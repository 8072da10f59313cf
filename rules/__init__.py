"""YAML data packs, shipped as the package ``egresslint.rules`` (see egresslint.resources)."""
