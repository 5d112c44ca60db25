"""Security settings: validated up front, translated once for faust, kafka-python and Redis,
and never printed."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from pydantic import SecretStr, ValidationError

from config.settings import Settings, describe_settings_error
from workers import cli
from workers.security import (
    describe_security,
    faust_credentials,
    kafka_client_options,
    redis_options,
)

PASSWORD = "correct-horse-battery-staple"
REDIS_PASSWORD = "redis-pass-7e1f"


def settings(**values: Any) -> Settings:
    # _env_file=None and explicit values: a developer's own WIREWATCH_* never leak in.
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("WIREWATCH_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and its key (the certificate doubles as the CA bundle)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl binary to make a test certificate")
    where = tmp_path_factory.mktemp("pem")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def sasl(**extra: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": "wirewatch",
        "kafka_sasl_password": PASSWORD,
    }
    return settings(**{**values, **extra})


# -- defaults ------------------------------------------------------------------------------------
def test_defaults_are_plaintext_with_no_credentials_and_loopback_metrics() -> None:
    s = settings()
    assert faust_credentials(s) is None
    assert kafka_client_options(s) == {"security_protocol": "PLAINTEXT"}
    assert redis_options(s) == {}
    assert s.metrics_host == "127.0.0.1"


# -- translation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_reaches_faust_and_aiokafka(mechanism: str) -> None:
    s = sasl(kafka_sasl_mechanism=mechanism)
    creds = faust_credentials(s)
    assert isinstance(creds, SASLCredentials)
    # What faust hands aiokafka for its consumer and producer.
    auth = credentials_to_aiokafka_auth(creds)
    assert auth["security_protocol"] == "SASL_PLAINTEXT"
    assert auth["sasl_mechanism"] == mechanism
    assert auth["sasl_plain_username"] == "wirewatch"
    assert auth["sasl_plain_password"] == PASSWORD
    assert auth["ssl_context"] is None


def test_sasl_reaches_kafka_python_with_names_its_clients_accept() -> None:
    options = kafka_client_options(sasl())
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "wirewatch",
        "sasl_plain_password": PASSWORD,
    }
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(options) <= set(client.DEFAULT_CONFIG), client.__name__


def test_sasl_ssl_uses_one_tls_context_for_both(pem: tuple[Path, Path]) -> None:
    cert, _ = pem
    s = sasl(kafka_security_protocol="SASL_SSL", kafka_ssl_cafile=cert)
    auth = credentials_to_aiokafka_auth(faust_credentials(s))
    assert auth["security_protocol"] == "SASL_SSL"
    assert isinstance(auth["ssl_context"], ssl.SSLContext)
    assert auth["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    # The CA file is loaded into the context both clients use.
    assert auth["ssl_context"].get_ca_certs()
    options = kafka_client_options(s)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["ssl_context"].get_ca_certs() == auth["ssl_context"].get_ca_certs()
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(options) <= set(client.DEFAULT_CONFIG), client.__name__


def test_mutual_tls_without_sasl(pem: tuple[Path, Path]) -> None:
    cert, key = pem
    s = settings(
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=cert,
        kafka_ssl_certfile=cert,
        kafka_ssl_keyfile=key,
        kafka_ssl_check_hostname=False,
    )
    creds = faust_credentials(s)
    assert isinstance(creds, SSLCredentials)
    assert credentials_to_aiokafka_auth(creds)["security_protocol"] == "SSL"
    options = kafka_client_options(s)
    assert "sasl_mechanism" not in options
    assert options["ssl_check_hostname"] is False
    assert options["ssl_context"].check_hostname is False


def test_create_app_passes_credentials_to_faust_and_the_ca_to_redis(
    pem: tuple[Path, Path],
) -> None:
    from workers.app import create_app

    cert, _ = pem
    s = sasl(
        kafka_url="kafka://broker.invalid:9093",
        redis_url=f"rediss://:{REDIS_PASSWORD}@redis.invalid:6380/0",
        redis_ssl_cafile=cert,
    )
    worker = create_app(s)
    creds = worker.app.conf.broker_credentials
    assert isinstance(creds, SASLCredentials)
    assert creds.password == PASSWORD
    pool_kwargs = worker.redis.connection_pool.connection_kwargs
    assert pool_kwargs["ssl_ca_certs"] == str(cert)
    assert pool_kwargs["password"] == REDIS_PASSWORD


# -- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "u"}, "SASL_PASSWORD"),
        ({"kafka_sasl_username": "u", "kafka_sasl_password": "p"}, "use SASL_PLAINTEXT"),
        ({"kafka_ssl_cafile": "/etc/hostname"}, "use SSL or SASL_SSL"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nope.pem"}, "no such file"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "/etc/hostname"}, "together"),
        (
            {"redis_url": "redis://localhost:6379/0", "redis_ssl_cafile": "/etc/hostname"},
            "not rediss://",
        ),
        ({"kafka_sasl_mechanism": "GSSAPI"}, "WIREWATCH_KAFKA_SASL_MECHANISM"),
    ],
)
def test_half_configured_security_is_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**values)
    assert message in "\n".join(describe_settings_error(caught.value))


# -- secrets stay secret -------------------------------------------------------------------------
def test_repr_str_and_json_of_settings_hide_passwords() -> None:
    s = sasl(redis_url=f"redis://:{REDIS_PASSWORD}@localhost:6379/0")
    assert isinstance(s.kafka_sasl_password, SecretStr)
    for text in (repr(s), str(s), s.model_dump_json()):
        assert PASSWORD not in text
        assert REDIS_PASSWORD not in text


def test_the_security_log_line_names_the_user_but_not_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = sasl(redis_url=f"redis://:{REDIS_PASSWORD}@localhost:6379/0")
    with caplog.at_level(logging.INFO):
        logging.getLogger("workers.app").info("security: %s", describe_security(s))
    assert "SCRAM-SHA-512 as wirewatch" in caplog.text
    assert "redis plain with AUTH" in caplog.text
    assert PASSWORD not in caplog.text
    assert REDIS_PASSWORD not in caplog.text


def test_a_bad_configuration_is_reported_without_echoing_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # pydantic's own message for a model-level error echoes the input values (it elides the
    # middle of long ones, so a short secret shows in full).
    monkeypatch.setenv("WIREWATCH_KAFKA_SASL_PASSWORD", "pw-9f2")
    assert cli.main(["status"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "bad configuration" in err and "use SASL_PLAINTEXT or SASL_SSL" in err
    assert "pw-9f2" not in err
