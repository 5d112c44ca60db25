"""Settings are checked in one place: typed choices, the Kafka URL parsed, one line per error,
every variable documented; faust's data directory does not pile up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from config.settings import (
    Settings,
    describe_settings_error,
    environment_help,
    parse_kafka_url,
    unknown_variables,
)
from workers import cli
from workers.embedded import FAUST_DIR_PREFIX, faust_data_dir, sweep_faust_dirs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WIREWATCH_"):
            monkeypatch.delenv(name)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("broker:9092", "kafka://broker:9092"),
        ("kafka://broker:9092", "kafka://broker:9092"),
        ("PLAINTEXT://broker:9092", "kafka://broker:9092"),
        ("plaintext://b1:9092, kafka://b2:9093;b3:9094", "kafka://b1:9092,b2:9093,b3:9094"),
        ("[::1]:9092", "kafka://[::1]:9092"),
        ("", None),
    ],
)
def test_kafka_url_forms_become_one(url: str, canonical: str | None) -> None:
    assert settings(kafka_url=url).kafka_url == canonical


def test_kafka_brokers_are_host_port_pairs_the_clients_read() -> None:
    from workers.app import bootstrap_servers

    s = settings(kafka_url="PLAINTEXT://a.example:9092,[::1]:19092")
    assert s.kafka_brokers == [("a.example", 9092), ("::1", 19092)]
    assert s.kafka_url is not None
    assert bootstrap_servers(s.kafka_url) == ["a.example:9092", "[::1]:19092"]


@pytest.mark.parametrize(
    "url", ["not a url", "broker", "broker:", "http://broker:80", "broker:0", "broker:70000", ","]
)
def test_a_bad_kafka_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"host:port|between 1 and 65535|no broker address"):
        parse_kafka_url(url)


def test_choices_are_case_insensitive_and_closed() -> None:
    s = settings(log_level="DEBUG", processing_guarantee="At_Least_Once",
                 kafka_security_protocol="plaintext")  # fmt: skip
    assert (s.log_level, s.processing_guarantee, s.kafka_security_protocol) == (
        "debug", "at_least_once", "PLAINTEXT",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        settings(log_level="loud")


def test_errors_are_one_line_each_naming_variable_and_value_but_no_secret() -> None:
    environ = {
        "WIREWATCH_METRICS_PORT": "99999",
        "WIREWATCH_LOG_LEVEL": "loud",
        "WIREWATCH_REDIS_URL": "http://:s3cret@h",
    }
    with pytest.raises(ValidationError) as caught:
        settings(metrics_port=99999, log_level="loud", redis_url="http://:s3cret@h")
    lines = describe_settings_error(caught.value, environ)
    assert len(lines) == 3 and all("\n" not in line for line in lines)
    assert any(line.startswith("WIREWATCH_METRICS_PORT='99999': ") for line in lines)
    assert any(line.startswith("WIREWATCH_LOG_LEVEL='loud': ") for line in lines)
    assert any(line.startswith("WIREWATCH_REDIS_URL: ") for line in lines)
    assert not any("s3cret" in line for line in lines)


def test_heartbeat_must_be_shorter_than_the_session() -> None:
    with pytest.raises(ValidationError, match="HEARTBEAT_INTERVAL_S must be less"):
        settings(session_timeout_s=2, heartbeat_interval_s=2)


def test_unknown_variables_are_named_with_a_suggestion() -> None:
    found = unknown_variables({"WIREWATCH_LOGLEVEL": "debug", "WIREWATCH_APP_ID": "x", "HOME": "/"})
    assert found == [
        "WIREWATCH_LOGLEVEL is not a wirewatch setting; ignored (did you mean WIREWATCH_LOG_LEVEL?)"
    ]


def test_help_lists_every_variable_and_points_at_the_readme() -> None:
    text = cli.build_parser().format_help()
    for field in Settings.model_fields:
        assert f"WIREWATCH_{field.upper()}" in text
    assert text.rstrip().endswith("What each one means: the Configuration table in README.md.")
    assert "unset" in environment_help()


def test_the_readme_configuration_table_covers_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration") : readme.index("## How it works")]
    documented = set(re.findall(r"`(WIREWATCH_[A-Z0-9_]+)`", section))
    missing = {f"WIREWATCH_{f.upper()}" for f in Settings.model_fields} - documented
    assert not missing, sorted(missing)


# -- faust's data directory ---------------------------------------------------------------------
def test_a_temporary_faust_dir_goes_when_the_worker_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    with faust_data_dir(None, "wirewatch") as path:
        assert Path(path).is_dir() and Path(path).parent == tmp_path
        assert Path(path).name.startswith(f"{FAUST_DIR_PREFIX}{os.getpid()}-")
    assert not list(tmp_path.iterdir())


def test_a_configured_faust_dir_is_kept_and_reused(tmp_path: Path) -> None:
    with faust_data_dir(tmp_path, "ww-a") as first:
        (Path(first) / "marker").write_text("x")
    with faust_data_dir(tmp_path, "ww-a") as second:
        assert second == first and (Path(second) / "marker").exists()


def test_dirs_of_killed_workers_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{FAUST_DIR_PREFIX}{gone.pid}-abc"
    alive = tmp_path / f"{FAUST_DIR_PREFIX}{os.getppid()}-def"
    mine = tmp_path / f"{FAUST_DIR_PREFIX}{os.getpid()}-ghi"
    other = tmp_path / "wirewatch-faust-old"  # no pid: not ours to judge
    for path in (dead, alive, mine, other):
        path.mkdir()
    assert sweep_faust_dirs(tmp_path) == [dead]
    assert alive.exists() and mine.exists() and other.exists() and not dead.exists()


def test_the_published_at_floor_must_carry_an_offset() -> None:
    from datetime import UTC, datetime

    from pydantic import ValidationError

    assert Settings(published_at_floor="2000-01-01T00:00:00Z").published_at_floor == datetime(
        2000, 1, 1, tzinfo=UTC
    )
    with pytest.raises(ValidationError):
        Settings(published_at_floor="2000-01-01T00:00:00")  # naive: compared with aware times
