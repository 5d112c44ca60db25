"""The deployment files agree with each other and with the code: compose, Dockerfile, Prometheus,
Grafana."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from config.settings import Settings
from workers.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PROMETHEUS = ROOT / "config/prometheus/prometheus.yml"
RULES = ROOT / "config/prometheus/rules.yml"
ALERTMANAGER = ROOT / "config/alertmanager/alertmanager.yml"
GRAFANA_DATASOURCE = ROOT / "config/grafana/provisioning/datasources/prometheus.yml"
GRAFANA_PROVIDER = ROOT / "config/grafana/provisioning/dashboards/wirewatch.yml"
DASHBOARD = ROOT / "config/grafana/dashboards/wirewatch.json"

# Metrics Prometheus itself attaches to every scrape target.
PROMETHEUS_OWN_METRICS = frozenset({"up"})
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def workers(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {
        name: svc for name, svc in services.items() if _command(svc)[:2] == ["wirewatch", "run"]
    }
    assert found, "no service runs `wirewatch run`"
    return found


@pytest.fixture(scope="module")
def prometheus_config() -> dict[str, Any]:
    return _load_yaml(PROMETHEUS)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the ["KEY=value"] form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host path, container path) for every bind mount; named volumes are skipped."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
            continue
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/", "~")):
            mounts.append((source, target))
    return mounts


def _known_metric_names() -> set[str]:
    """Every series name the worker can export, from the families Metrics.create() registers."""
    registry = CollectorRegistry()
    Metrics.create(registry)
    names: set[str] = set()
    for family in registry.collect():
        suffixes = _SUFFIXES.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


# Ours, and the default collectors' on the worker's registry (process_*, python_*).
_WORKER_PREFIXES = ("wirewatch_", "process_", "python_")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names_in(expr: str) -> set[str]:
    """The worker's metric names (wirewatch_*, process_*, python_*) a PromQL expression selects.

    Strings are dropped first so label values and regexes do not count; whole identifiers are
    taken so `foo_total` is never mistaken for a shorter name inside it.
    """
    without_strings = _STRING.sub('""', expr)
    return {
        token
        for token in _IDENTIFIER.findall(without_strings)
        if token.startswith(_WORKER_PREFIXES)
    }


def unknown_metrics(expr: str, known: set[str]) -> set[str]:
    return metric_names_in(expr) - known


def selected_metrics(expr: str) -> set[str]:
    """wirewatch_* names plus Prometheus' own series (up) the expression selects."""
    own = {name for name in PROMETHEUS_OWN_METRICS if re.search(rf"\b{name}\s*\{{", expr)}
    return metric_names_in(expr) | own


def _dashboard_exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    exprs = []
    for panel in _all_panels(dashboard):
        for target in panel.get("targets", []):
            exprs.append((panel["title"], target["expr"]))
    return exprs


def _all_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows nest their panels
    return panels


def _rules() -> list[dict[str, Any]]:
    return [rule for group in _load_yaml(RULES)["groups"] for rule in group["rules"]]


# --- the metric-name checker itself ---------------------------------------------------------


def test_metric_tokenizer_finds_names_and_ignores_labels_and_strings() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, stage) "
        '(rate(wirewatch_stage_seconds_bucket{job="wirewatch_x"}[5m])))'
        " / wirewatch_active_stories"
    )
    assert metric_names_in(expr) == {"wirewatch_stage_seconds_bucket", "wirewatch_active_stories"}


def test_metric_checker_rejects_a_name_the_worker_does_not_export() -> None:
    known = _known_metric_names()
    assert "wirewatch_articles_consumed_total" in known
    assert "wirewatch_event_to_alert_seconds_bucket" in known
    assert unknown_metrics("sum(rate(wirewatch_articles_consumed_total[5m]))", known) == set()
    assert unknown_metrics("sum(rate(wirewatch_articles_consumed[5m]))", known) == {
        "wirewatch_articles_consumed"
    }
    assert unknown_metrics("wirewatch_active_stories_bucket", known) == {
        "wirewatch_active_stories_bucket"
    }


# --- docker-compose.yml ---------------------------------------------------------------------


def test_every_image_is_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        image = svc.get("image")
        if image is None:
            assert "build" in svc, f"{name}: neither image nor build"
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest", f"{name}: image {image!r} is not pinned"


def test_kafka_runs_kraft_with_auto_create_off(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = _env(kafka)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "zookeeper" not in COMPOSE.read_text(encoding="utf-8").lower()
    assert not any("zookeeper" in name for name in services)
    listeners = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert listeners["INTERNAL"] == "kafka:9092"
    assert listeners["HOST"].startswith("127.0.0.1:")


def test_host_ports_bind_to_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for port in svc.get("ports", []):
            published = port if isinstance(port, str) else f"{port.get('host_ip')}:{port}"
            assert str(published).startswith("127.0.0.1:"), f"{name}: port {port!r} is public"


def test_every_wirewatch_env_is_a_settings_field(services: dict[str, dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    seen = 0
    for name, svc in services.items():
        for key in _env(svc):
            if key.startswith("WIREWATCH_"):
                seen += 1
                field = key.removeprefix("WIREWATCH_").lower()
                assert field in fields, f"{name}: {key} is not a Settings field"
    assert seen, "no WIREWATCH_* variables in the compose file"


def test_commented_security_env_names_are_settings_fields() -> None:
    # The SASL/TLS example is commented out in compose, so YAML parsing never sees it.
    commented = {
        match.group(1)
        for line in COMPOSE.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("#")
        for match in re.finditer(r"\b(WIREWATCH_[A-Z0-9_]+)\b", line)
    }
    fields = set(Settings.model_fields)
    for key in commented:
        assert key.removeprefix("WIREWATCH_").lower() in fields, f"{key} is not a Settings field"
    security = {f for f in fields if f.startswith(("kafka_s", "redis_ssl"))}
    assert security, "no security settings"
    documented = {key.removeprefix("WIREWATCH_").lower() for key in commented}
    assert security <= documented, f"not shown in compose: {sorted(security - documented)}"


def test_worker_env_parses_as_settings(
    workers: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for svc in workers.values():
        for key, value in _env(svc).items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert settings.kafka_url == "kafka://kafka:9092"
        assert settings.redis_url is not None
        assert settings.redis_url.get_secret_value().startswith("redis://redis:")
        assert settings.metrics_host == "0.0.0.0"


def test_there_are_two_workers_that_stop_gracefully(workers: dict[str, dict[str, Any]]) -> None:
    replicas = sum(svc.get("deploy", {}).get("replicas", 1) for svc in workers.values())
    assert replicas >= 2
    for name, svc in workers.items():
        assert svc.get("stop_grace_period"), f"{name}: no stop_grace_period"
        assert svc.get("stop_signal", "SIGTERM") == "SIGTERM"


def test_workers_start_after_topics_are_created(
    services: dict[str, dict[str, Any]], workers: dict[str, dict[str, Any]]
) -> None:
    init = [
        name
        for name, svc in services.items()
        if _command(svc)[:2] == ["wirewatch", "create-topics"]
    ]
    assert init == ["topics"], "one init service must run `wirewatch create-topics`"
    assert services["topics"].get("restart", "no") == "no"
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name, svc in workers.items():
        assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully", name


def test_worker_healthcheck_uses_healthz_on_the_metrics_port(
    workers: dict[str, dict[str, Any]],
) -> None:
    for name, svc in workers.items():
        port = _env(svc)["WIREWATCH_METRICS_PORT"]
        test = " ".join(svc["healthcheck"]["test"])
        assert f":{port}/healthz" in test, f"{name}: healthcheck does not hit /healthz on {port}"


def test_prometheus_scrapes_every_worker_on_its_metrics_port(
    workers: dict[str, dict[str, Any]], prometheus_config: dict[str, Any]
) -> None:
    jobs = {job["job_name"]: job for job in prometheus_config["scrape_configs"]}
    job = jobs["wirewatch"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets = {t for sc in job["static_configs"] for t in sc["targets"]}
    expected = {f"{name}:{_env(svc)['WIREWATCH_METRICS_PORT']}" for name, svc in workers.items()}
    assert targets == expected


def test_prometheus_sends_to_alertmanager_and_loads_the_rules(
    services: dict[str, dict[str, Any]], prometheus_config: dict[str, Any]
) -> None:
    targets = [
        t
        for am in prometheus_config["alerting"]["alertmanagers"]
        for sc in am["static_configs"]
        for t in sc["targets"]
    ]
    assert targets == ["alertmanager:9093"]
    assert "alertmanager" in services
    for rule_file in prometheus_config["rule_files"]:
        assert (PROMETHEUS.parent / rule_file).is_file(), rule_file


def test_every_bind_mount_exists(services: dict[str, dict[str, Any]]) -> None:
    mounts = 0
    for name, svc in services.items():
        for source, _target in _bind_mounts(svc):
            mounts += 1
            assert (ROOT / source).exists(), f"{name}: mounted path {source} does not exist"
    assert mounts >= 4


def test_config_is_mounted_where_each_service_reads_it(services: dict[str, dict[str, Any]]) -> None:
    def mounts(name: str) -> dict[str, str]:
        return {target: source for source, target in _bind_mounts(services[name])}

    assert mounts("prometheus")["/etc/prometheus"] == "./config/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert mounts("alertmanager")["/etc/alertmanager"] == "./config/alertmanager"
    # start.sh renders /etc/alertmanager/alertmanager.yml (webhook URLs) and runs Alertmanager.
    alertmanager = services["alertmanager"]
    assert alertmanager["entrypoint"] == ["/bin/sh", "/etc/alertmanager/start.sh"]
    assert _env(alertmanager)["ALERTMANAGER_CONFIG"] == "/etc/alertmanager/alertmanager.yml"
    rendered = _env(alertmanager)["ALERTMANAGER_RENDERED"]
    data = [
        t for s, t in (v.split(":")[:2] for v in alertmanager["volumes"]) if not s.startswith(".")
    ]
    assert any(rendered.startswith(f"{target}/") for target in data), (
        "rendered file not on a volume"
    )
    assert (ROOT / "config/alertmanager/start.sh").is_file()
    grafana = mounts("grafana")
    assert grafana["/etc/grafana/provisioning"] == "./config/grafana/provisioning"
    provider = _load_yaml(GRAFANA_PROVIDER)["providers"][0]
    assert grafana[provider["options"]["path"]] == "./config/grafana/dashboards"


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes", {}))
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_redis_persists_with_aof(services: dict[str, dict[str, Any]]) -> None:
    redis = services["redis"]
    command = _command(redis)
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.split(":")[1] == "/data" for v in redis["volumes"] if isinstance(v, str))


# --- Dockerfile and .dockerignore -----------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def test_dockerfile_builds_on_python_311_slim() -> None:
    for keyword, rest in _dockerfile_instructions():
        if keyword == "FROM":
            assert rest.split()[0] == "python:3.11-slim"


def test_dockerfile_runs_as_non_root() -> None:
    users = [rest for keyword, rest in _final_stage() if keyword == "USER"]
    assert users, "the final stage has no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_healthcheck_signal_and_command() -> None:
    stage = dict(_final_stage())
    healthcheck = stage["HEALTHCHECK"]
    assert "urllib.request" in healthcheck and "/healthz" in healthcheck
    assert stage["STOPSIGNAL"] == "SIGTERM"
    assert json.loads(stage["CMD"]) == ["wirewatch", "run"]


def test_dockerfile_metrics_port_matches_compose(workers: dict[str, dict[str, Any]]) -> None:
    env_lines = " ".join(rest for keyword, rest in _final_stage() if keyword == "ENV")
    image_env = dict(re.findall(r"(WIREWATCH_\w+)=(\S+)", env_lines))
    assert "'9464'" in dict(_final_stage())["HEALTHCHECK"]  # the fallback port
    assert image_env["WIREWATCH_METRICS_PORT"] == "9464"
    assert image_env["WIREWATCH_METRICS_HOST"] == "0.0.0.0"
    for svc in workers.values():
        assert _env(svc)["WIREWATCH_METRICS_PORT"] == image_env["WIREWATCH_METRICS_PORT"]


def test_docker_context_holds_what_pip_install_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = [
        "pyproject.toml",
        project["project"]["readme"],
        *project["tool"]["setuptools"]["packages"],
    ]
    rules = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", (
        ".dockerignore should exclude everything, then allow what the build needs"
    )
    allowed = {line.removeprefix("!").rstrip("/") for line in rules if line.startswith("!")}
    for path in needed:
        assert path in allowed, f".dockerignore leaves {path} out of the build context"
        assert (ROOT / path).exists(), f"`pip install .` in the image needs {path}"


# --- Prometheus rules, Alertmanager, Grafana ------------------------------------------------


def test_rules_name_only_exported_metrics() -> None:
    known = _known_metric_names()
    for rule in _rules():
        assert selected_metrics(rule["expr"]), f"{rule['alert']} selects no known metric"
        unknown = unknown_metrics(rule["expr"], known)
        assert not unknown, f"{rule['alert']}: unknown metrics {sorted(unknown)}"


def test_alertmanager_routes_to_declared_receivers() -> None:
    config = _load_yaml(ALERTMANAGER)
    receivers = {r["name"] for r in config["receivers"]}

    def walk(route: dict[str, Any]) -> None:
        if "receiver" in route:
            assert route["receiver"] in receivers, route["receiver"]
        for child in route.get("routes", []):
            walk(child)

    walk(config["route"])
    # Every severity the rules use reaches a receiver: critical has its own (paging) route,
    # anything else falls through to the default one.
    critical = [r for r in config["route"]["routes"] if 'severity="critical"' in r["matchers"]]
    assert [r["receiver"] for r in critical] == ["oncall-page"]
    assert {rule["labels"]["severity"] for rule in _rules()} <= {"critical", "warning"}


def test_grafana_datasource_points_at_the_prometheus_service(
    services: dict[str, dict[str, Any]],
) -> None:
    source = _load_yaml(GRAFANA_DATASOURCE)["datasources"][0]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in services


def test_dashboard_is_grafana_json_with_the_provisioned_datasource(
    dashboard: dict[str, Any],
) -> None:
    uid = _load_yaml(GRAFANA_DATASOURCE)["datasources"][0]["uid"]
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in _all_panels(dashboard)]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for panel in _all_panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]


def test_dashboard_panels_do_not_overlap(dashboard: dict[str, Any]) -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in _all_panels(dashboard):
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_dashboard_top_row_answers_is_it_up_and_keeping_up(dashboard: dict[str, Any]) -> None:
    top = " ".join(
        target["expr"]
        for panel in _all_panels(dashboard)
        if panel["gridPos"]["y"] == 0
        for target in panel["targets"]
    )
    for needed in (
        'up{job="wirewatch"}',
        "wirewatch_worker_ready",
        "wirewatch_articles_consumed_total",
        "wirewatch_articles_processed_total",
        "wirewatch_consumer_lag_messages",
    ):
        assert needed in top, f"top row lacks {needed}"


def test_dashboard_queries_name_only_exported_metrics(dashboard: dict[str, Any]) -> None:
    known = _known_metric_names()
    exprs = _dashboard_exprs(dashboard)
    assert len(exprs) >= 10
    for title, expr in exprs:
        assert selected_metrics(expr), f"{title}: query selects no known metric: {expr}"
        unknown = unknown_metrics(expr, known)
        assert not unknown, f"{title}: unknown metrics {sorted(unknown)} in {expr}"


# --- what the issue found on the first day ----------------------------------------------------


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([^}]*)\}")


def test_no_variable_is_mandatory_for_compose() -> None:
    # ${VAR:?} is evaluated for every compose command (ps, logs, exec), not only `up`.
    text = "\n".join(
        line
        for line in COMPOSE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    found = _INTERPOLATION.findall(text)
    assert found, "expected the stack's optional settings"
    for name, operator, _ in found:
        assert operator in (":-", "-"), f"${{{name}{operator}…}} makes {name} mandatory"


def test_every_service_has_a_memory_limit_and_a_restart_policy(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, svc in services.items():
        limit = svc.get("mem_limit") or svc.get("deploy", {}).get("resources", {}).get(
            "limits", {}
        ).get("memory")
        assert limit and re.fullmatch(r"[0-9]+[mg]", str(limit)), f"{name}: no memory limit"
        assert svc.get("restart") in {"no", "unless-stopped", "always", "on-failure"}, name


def test_redis_refuses_writes_before_the_container_limit_kills_it(
    services: dict[str, dict[str, Any]],
) -> None:
    command = _command(services["redis"])
    maxmemory = command[command.index("--maxmemory") + 1]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"

    def mib(size: str) -> int:
        match = re.fullmatch(r"([0-9]+)([mg])b?", size.lower())
        assert match, size
        return int(match[1]) * (1024 if match[2] == "g" else 1)

    assert mib(maxmemory) < mib(services["redis"]["mem_limit"])


def test_grafana_reads_its_password_from_a_secret_file(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    grafana = services["grafana"]
    env = _env(grafana)
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert grafana["secrets"] == ["grafana_admin_password"]
    assert "file" in compose["secrets"]["grafana_admin_password"]
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "secrets/" in ignored and ".env" in ignored


_SUBCOMMANDS_WITH_SERVICE = {"exec", "logs", "restart", "stop", "start", "ps", "cp", "up", "top"}


def _runbook_commands() -> list[str]:
    text = (ROOT / "docs/runbook.md").read_text(encoding="utf-8").replace("\\\n", " ")
    commands = []
    for block in re.findall(r"```(?:sh)?\n(.*?)```", text, re.S):
        commands += [line.strip() for line in block.splitlines() if "docker" in line]
    commands += re.findall(r"`(docker [^`]+)`", text)
    return commands


def test_runbook_commands_name_compose_services(services: dict[str, dict[str, Any]]) -> None:
    named = 0
    for command in _runbook_commands():
        for match in re.finditer(
            r"docker compose (\w+)((?: +-{1,2}[\w.=-]+)*)((?: +[\w.:/-]+)*)", command
        ):
            sub, _, rest = match.groups()
            if sub not in _SUBCOMMANDS_WITH_SERVICE:
                continue
            words = [w for w in rest.split() if not w.startswith("-")]
            if sub == "cp":
                words = [w.split(":")[0] for w in words if ":" in w]
            elif sub in ("exec", "ps", "logs"):
                words = words[:1]
            for word in words:
                assert word in services, f"{word!r} is no compose service: {command}"
                named += 1
        # A container is found through compose, never by a name guessed from the service.
        for target in re.findall(r"docker inspect +(.*)", command):
            assert target.startswith('"$(docker compose ps -q '), command
    assert named >= 20
