"""The README shows what egresslint really prints: the example scan at the top is the output of
`egresslint scan examples/` on the bundled example, byte for byte (colour off, no cache)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def test_readme_example_output_is_the_real_output():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```text\n\$ egresslint scan examples/\n(.*?)```", readme, re.S)
    assert m, "README lost its example scan block"
    run = subprocess.run([sys.executable, "-m", "egresslint", "scan", "examples/", "--no-cache"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1, run.stderr  # the example has deliberate mistakes
    assert run.stdout == m.group(1), "update the README example block with the real output"
