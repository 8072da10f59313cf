"""Inline suppressions in every format, expiry, and unused ones (EGL006)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.suppressions import from_text

ROUTE_TABLE = {
    "type": "Microsoft.Network/routeTables", "apiVersion": "2023-04-01", "name": "orphan-rt",
    "properties": {"routes": [{"name": "default", "properties": {
        "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"}}]},
}


def template(*resources: dict) -> str:
    return json.dumps({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                       "contentVersion": "1.0.0.0", "resources": list(resources)}, indent=2)


def rules(path: Path) -> list[str]:
    return sorted(f.rule_id for f in scan([path], Config(), root=path).findings)


def test_arm_metadata_suppression(tmp_path: Path):
    (tmp_path / "rt.json").write_text(template(ROUTE_TABLE), encoding="utf-8")
    assert rules(tmp_path) == ["EGL104"]
    suppressed = dict(ROUTE_TABLE, metadata={"egresslint": {"ignore": ["EGL104"], "reason": "attached by the hub"}})
    (tmp_path / "rt.json").write_text(template(suppressed), encoding="utf-8")
    report = scan([tmp_path], Config(), root=tmp_path)
    assert not report.findings and report.suppressed == 1


def test_yaml_comment_suppression(tmp_path: Path):
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: LoadBalancer\n"
        "  loadBalancerIP: 20.1.2.3  # egresslint: ignore[deprecated-setting] reason: AKS 1.29 still honours it\n",
        encoding="utf-8")
    assert rules(tmp_path) == []


def test_expired_suppression_stops_working(tmp_path: Path):
    (tmp_path / "a.sh").write_text(
        "# egresslint: ignore[EGL002] until: 2001-01-01\naz aks create -g rg -n aks –outbound-type none\n",
        encoding="utf-8")
    assert rules(tmp_path) == ["EGL002", "EGL006"]


def test_comment_covers_the_whole_continued_command():
    text = "# egresslint: ignore[EGL1]\naz network route-table route create \\\n  -g rg \\\n  -n x\naz next\n"
    [s] = from_text("a.sh", text)
    assert (s.first_line, s.last_line, s.rules) == (2, 4, ("EGL1",))
    [t] = from_text("b.sh", "az a \\\n  --b c  # egresslint: ignore[EGL003] until: 2999-01-01\n")
    assert (t.first_line, t.last_line, t.until) == (1, 2, dt.date(2999, 1, 1))
    assert from_text("c.sh", 'echo "egresslint: ignore[EGL002]"\n') == []
