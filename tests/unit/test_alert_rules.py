"""The on-call alert rules: promtool validates and unit-tests them; each has a runbook section."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "config/prometheus"
PROMETHEUS = PROMETHEUS_DIR / "prometheus.yml"
RULES = PROMETHEUS_DIR / "rules.yml"
RULES_TEST = PROMETHEUS_DIR / "rules.test.yml"
RUNBOOK = ROOT / "docs/runbook.md"

EXPECTED_ALERTS = {
    "WirewatchWorkerDown",
    "WirewatchNotReady",
    "WirewatchLagGrowing",
    "WirewatchNoInput",
    "WirewatchDeadLetterSpike",
    "WirewatchRedisErrors",
    "WirewatchAlertStorm",
}
RUNBOOK_TEMPLATE = (
    "{{ with $externalLabels.runbook_base }}{{ . }}{{ else }}docs/runbook.md{{ end }}#"
)

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not on PATH; on Debian: apt-get install -y --no-install-recommends prometheus",
)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _alert_rules() -> list[dict[str, Any]]:
    groups = _load(RULES)["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    # cwd is the rules directory so relative rule_files resolve as Prometheus resolves them.
    return subprocess.run(
        [PROMTOOL, *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


# --- without promtool -----------------------------------------------------------------------


def test_the_on_call_rules_exist_in_group_wirewatch() -> None:
    groups = {group["name"]: group for group in _load(RULES)["groups"]}
    names = {rule["alert"] for rule in groups["wirewatch"]["rules"] if "alert" in rule}
    assert names == EXPECTED_ALERTS


def test_every_alert_has_severity_and_annotations() -> None:
    for rule in _alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        for key in ("summary", "description", "runbook_url"):
            assert rule["annotations"].get(key, "").strip(), f"{rule['alert']} lacks {key}"


def test_every_runbook_url_points_at_a_runbook_section() -> None:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", RUNBOOK.read_text(encoding="utf-8"), re.M)
    anchors = {_github_anchor(h) for h in headings}
    for rule in _alert_rules():
        url = rule["annotations"]["runbook_url"]
        # The configured base (external label runbook_base), else the repository path.
        assert url.startswith(RUNBOOK_TEMPLATE), url
        anchor = url.removeprefix(RUNBOOK_TEMPLATE)
        assert anchor == rule["alert"].lower(), f"{rule['alert']}: anchor {anchor}"
        assert anchor in anchors, f"docs/runbook.md has no section #{anchor}"


def test_runbook_covers_the_operational_procedures() -> None:
    headings = {
        _github_anchor(h)
        for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", RUNBOOK.read_text(encoding="utf-8"), re.M)
    }
    assert {"scaling-out", "replaying-a-time-range", "rotating-credentials"} <= headings


def test_every_alert_has_a_firing_and_a_quiet_unit_case() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    tests = _load(RULES_TEST)
    assert tests["rule_files"] == ["rules.yml"]
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    assert fires == EXPECTED_ALERTS, f"no firing case for {sorted(EXPECTED_ALERTS - fires)}"
    assert quiet == EXPECTED_ALERTS, f"no quiet case for {sorted(EXPECTED_ALERTS - quiet)}"


# --- with promtool --------------------------------------------------------------------------


@needs_promtool
def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alert_rules())} rules found" in result.stdout


@needs_promtool
def test_promtool_test_rules() -> None:
    result = _promtool("test", "rules", RULES_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_promtool_check_config() -> None:
    # rule_files in prometheus.yml are relative to the file, so this also loads rules.yml.
    result = _promtool("check", "config", PROMETHEUS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr
