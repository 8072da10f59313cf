"""``python -m egresslint``."""

from egresslint.cli import main

raise SystemExit(main())
