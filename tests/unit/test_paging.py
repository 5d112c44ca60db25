"""Paging: Alertmanager's config loads in the real amtool, routes critical to the page receiver,
renders the webhook URLs from the environment, and the runbook's examples are valid too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER = ROOT / "config/alertmanager/alertmanager.yml"
START = ROOT / "config/alertmanager/start.sh"
RUNBOOK = ROOT / "docs/runbook.md"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None,
    reason="amtool not on PATH; on Debian: apt-get install -y --no-install-recommends "
    "prometheus-alertmanager (.ci/run does)",
)


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert AMTOOL is not None
    return subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def render(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run start.sh as the container does, with `true` standing in for Alertmanager."""
    out = tmp_path / "rendered.yml"
    result = subprocess.run(
        ["sh", str(START), "--storage.path=/nowhere"],
        env={
            "PATH": os.environ["PATH"],
            "ALERTMANAGER_CONFIG": str(ALERTMANAGER),
            "ALERTMANAGER_RENDERED": str(out),
            "ALERTMANAGER_BIN": "true",
            **env,
        },
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return result, out


def receivers(path: Path) -> dict[str, Any]:
    config = yaml.safe_load(path.read_text())
    return {r["name"]: r for r in config["receivers"]}


def test_every_receiver_has_a_webhook_that_sends_resolved() -> None:
    for name, receiver in receivers(ALERTMANAGER).items():
        hooks = receiver.get("webhook_configs", [])
        assert hooks, f"{name} notifies nobody"
        assert all(h.get("send_resolved") for h in hooks), name


def test_start_script_puts_the_urls_in_place(tmp_path: Path) -> None:
    page = "https://pager.example/hooks/a?token=x&team=news"  # & must survive
    result, out = render(tmp_path, ALERTMANAGER_PAGE_WEBHOOK_URL=page)
    assert result.returncode == 0, result.stderr
    hooks = {name: r["webhook_configs"][0]["url"] for name, r in receivers(out).items()}
    assert hooks == {"oncall-page": page, "oncall-ticket": page}

    ticket = "http://tickets.internal:8080/alertmanager"
    _, out = render(
        tmp_path, ALERTMANAGER_PAGE_WEBHOOK_URL=page, ALERTMANAGER_TICKET_WEBHOOK_URL=ticket
    )
    hooks = {name: r["webhook_configs"][0]["url"] for name, r in receivers(out).items()}
    assert hooks == {"oncall-page": page, "oncall-ticket": ticket}
    # Everything but the two URLs is the committed file.
    assert (
        yaml.safe_load(out.read_text())["route"]
        == yaml.safe_load(ALERTMANAGER.read_text())["route"]
    )


def test_start_script_says_when_nobody_is_paged_and_refuses_a_bad_url(tmp_path: Path) -> None:
    result, out = render(tmp_path)
    assert result.returncode == 0
    assert "ALERTMANAGER_PAGE_WEBHOOK_URL is not set" in result.stderr
    assert out.read_text() == ALERTMANAGER.read_text()
    result, _ = render(tmp_path, ALERTMANAGER_PAGE_WEBHOOK_URL="pager.example/hook")
    assert result.returncode == 2 and "http:// or https://" in result.stderr


@needs_amtool
def test_amtool_accepts_the_committed_and_the_rendered_config(tmp_path: Path) -> None:
    result = amtool("check-config", str(ALERTMANAGER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "2 receivers" in result.stdout
    _, out = render(tmp_path, ALERTMANAGER_PAGE_WEBHOOK_URL="https://pager.example/h?a=1&b=2")
    result = amtool("check-config", str(out))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_amtool
@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=critical", "alertname=WirewatchWorkerDown"], "oncall-page"),
        (["severity=warning", "alertname=WirewatchNotReady"], "oncall-ticket"),
        (["alertname=SomethingUnlabelled"], "oncall-ticket"),
    ],
)
def test_amtool_routes_critical_to_the_page(labels: list[str], receiver: str) -> None:
    result = amtool("config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == receiver


@needs_amtool
def test_the_runbooks_chat_and_paging_example_is_a_valid_config(tmp_path: Path) -> None:
    text = RUNBOOK.read_text()
    section = text[text.index("## Paging") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    config = yaml.safe_load(ALERTMANAGER.read_text())
    config["receivers"] = yaml.safe_load(example.group(1))["receivers"]
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    result = amtool("check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
