"""Settings: one frozen typed object, read from the environment once at the entrypoint."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
ENV_PREFIX = "WIREWATCH_"

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
ProcessingGuarantee = Literal["at_least_once", "exactly_once"]
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

# A broker address: host:port or [IPv6]:port, optionally behind kafka:// or a listener's
# security protocol (PLAINTEXT://host:port, as Kafka's own listener settings write it).
_BROKER = re.compile(
    r"^(?:(?P<scheme>[A-Za-z_]+)://)?(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9._-]+))"
    r":(?P<port>[0-9]{1,5})$"
)
_KAFKA_URL_FORMS = "host:port, kafka://host:port or PLAINTEXT://host:port, comma-separated"
_SCHEMES = frozenset({"kafka", "plaintext", "ssl", "sasl_plaintext", "sasl_ssl"})


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def parse_kafka_url(text: str) -> list[tuple[str | None, str, int]]:
    """'kafka://a:9092,PLAINTEXT://b:9092' -> [(scheme, host, port), ...]; ValueError if not."""
    brokers: list[tuple[str | None, str, int]] = []
    for item in re.split(r"[,;]", text):
        item = item.strip()
        if not item:
            continue
        match = _BROKER.match(item)
        if match is None:
            raise ValueError(f"{item!r} is not a broker address; use {_KAFKA_URL_FORMS}")
        scheme = match["scheme"].lower() if match["scheme"] else None
        if scheme is not None and scheme not in _SCHEMES:
            raise ValueError(
                f"{item!r}: unknown scheme {match['scheme']}://; use {_KAFKA_URL_FORMS}"
            )
        port = int(match["port"])
        if not 1 <= port <= 65535:
            raise ValueError(f"{item!r}: port {port} is not between 1 and 65535")
        brokers.append((scheme, match["v6"] or match["host"], port))
    if not brokers:
        raise ValueError(f"no broker address; use {_KAFKA_URL_FORMS}")
    return brokers


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Settings(BaseSettings):
    """Everything wirewatch can be told. Environment names are WIREWATCH_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="WIREWATCH_", frozen=True, extra="ignore")

    # Services. Unset means "start embedded local ones" (see workers/embedded.py).
    kafka_url: str | None = Field(
        default=None,
        description="Bootstrap servers: host:port, kafka://host:port or PLAINTEXT://host:port, "
        "comma-separated. Unset: an embedded broker.",
    )
    redis_url: SecretStr | None = Field(
        default=None, description="redis:// or rediss:// URL; may carry a password."
    )
    # Kafka security. PLAINTEXT by default (the embedded broker and the compose stack); SASL
    # mechanisms and TLS files go to faust and to the CLI's clients through workers/security.py.
    kafka_security_protocol: Annotated[SecurityProtocol, BeforeValidator(_upper)] = Field(
        default="PLAINTEXT", description="How to talk to the brokers, as Kafka names it."
    )
    kafka_sasl_mechanism: Annotated[SaslMechanism, BeforeValidator(_upper)] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="PEM bundle to verify the brokers; unset: the system CAs."
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS."
    )
    kafka_ssl_keyfile: Path | None = Field(default=None, description="Client key (PEM).")
    kafka_ssl_key_password: SecretStr | None = None
    kafka_ssl_check_hostname: bool = True
    # Redis AUTH and TLS ride in redis_url (redis://:password@host or rediss://...);
    # this CA file verifies a rediss:// server whose certificate the system CAs do not know.
    redis_ssl_cafile: Path | None = None

    app_id: str = Field(default="wirewatch", description="Consumer group and faust app id.")
    topic_prefix: str = Field(default="", description="Prepended to every topic name.")
    redis_prefix: str = Field(default="ww", description="Prepended to every Redis key.")

    # Topics are created up front with these counts; never by broker auto-create.
    article_partitions: int = Field(default=4, ge=1)
    output_partitions: int = Field(default=1, ge=1)
    replication_factor: int = Field(default=1, ge=1)

    # Consumer behaviour. Short session timeout: a group join waits session_timeout/2.
    session_timeout_s: float = Field(default=6.0, gt=0)
    heartbeat_interval_s: float = Field(default=1.0, gt=0)
    processing_guarantee: Annotated[ProcessingGuarantee, BeforeValidator(_lower)] = Field(
        default="at_least_once",
        description="'at_least_once', or 'exactly_once' on a real Kafka cluster.",
    )
    # Start-up checks: how long to wait for the broker and Redis to answer before giving up
    # with one line naming the address (instead of kafka-python's 30 s and a traceback).
    connect_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds start-up waits for the broker and Redis."
    )

    # Input limits.
    max_article_bytes: int = Field(default=1_000_000, ge=1)

    # Failure handling (issue 12): every input ends as one signature or one dead letter.
    max_message_bytes: int = Field(
        default=1_000_000,
        gt=65_536,
        description="The producer's max request size; dead letters and signatures are built "
        "to fit under it (a dead letter then carries a prefix, the length and the SHA-256).",
    )
    max_sentence_chars: int = Field(
        default=500, ge=40, description="A figure's sentence is clipped to this around it."
    )
    published_at_floor: AwareDatetime = Field(
        default=datetime(1970, 1, 1, tzinfo=UTC),
        description="Older published_at is dead-lettered as published_at_out_of_range.",
    )
    published_at_max_skew_hours: float = Field(
        default=24.0,
        ge=0.0,
        description="published_at further ahead of the worker's clock is out of range.",
    )
    max_consecutive_internal_errors: int = Field(
        default=5,
        ge=0,
        description="After this many processing failures in a row the worker stops consuming "
        "and reports not ready (a bad deploy must not dead-letter the stream); 0: never.",
    )
    state_attempts: int = Field(
        default=3, ge=1, description="Tries of a failing story update before state_failed."
    )
    retry_max_backoff_s: float = Field(default=5.0, gt=0.0)
    alert_lease_s: float = Field(
        default=10.0,
        gt=0.0,
        description="How long a worker's pending mark on an alert excludes other workers.",
    )

    # Detection thresholds (defaults are justified in README.md).
    emerging_min_sources: int = Field(default=3, ge=1)
    emerging_window_hours: float = Field(default=12.0, gt=0)
    story_window_hours: float = Field(default=168.0, gt=0)
    # How long a closed story's distinctive keys are kept for follow-ups (0: not at all).
    story_memory_days: float = Field(default=90.0, ge=0)
    # A probability (config/matching.toml holds the model); chosen on the first half of the GVA
    # stream, see README.
    match_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    match_merge_threshold: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="A second story scoring this high for one article is merged.",
    )
    emerging_escalation_factor: float = Field(
        default=2.0,
        description="story.escalating when a later window has this many times the sources…",
    )
    emerging_escalation_min_extra: int = Field(
        default=3, description="…and at least this many more."
    )
    emerging_quiet_hours: float = Field(
        default=24.0, description="A story with no article for this long (event time) is closed."
    )

    # Operator tables (aliases, places, actions, furniture) are read from here at start.
    tables_dir: Path = CONFIG_DIR
    # faust keeps a small data directory even with in-memory tables. Unset: a temporary one,
    # removed when the worker exits; set: <data_dir>/<app_id>-faust, reused across restarts.
    data_dir: Path | None = Field(
        default=None, description="Parent of faust's data directory; unset: a temporary one."
    )

    # Observability.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="0 disables the /metrics endpoint."
    )
    log_level: Annotated[LogLevel, BeforeValidator(_lower)] = "info"
    summary_interval_s: float = Field(
        default=60.0, ge=0, description="`run` logs a throughput line this often; 0: never."
    )

    # Throughput: the prepared-lexicon cache (see workers/lexicon_cache.py).
    lexicon_cache: bool = Field(
        default=True, description="Keep the compiled tables and gazetteer on disk between starts."
    )
    lexicon_cache_dir: Path | None = Field(
        default=None, description="Where the compiled lexicon is kept; unset: the user cache dir."
    )
    # Batches (issue 11): the agent takes up to batch_size articles, or what arrived within
    # batch_wait_ms, and talks to Redis and the broker once per batch rather than per article.
    batch_size: int = Field(
        default=200, ge=1, le=10_000, description="Articles the worker takes at most per batch."
    )
    batch_wait_ms: float = Field(
        default=50.0,
        gt=0.0,
        le=60_000.0,
        description="How long a batch waits to fill: the longest a lone article waits.",
    )
    extraction_processes: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Processes extracting signatures; unset: the cores the worker may use; "
        "1: in the worker process.",
    )

    @field_validator("kafka_url", mode="before")
    @classmethod
    def _kafka_url_is_brokers(cls, value: object) -> object:
        # Parsed once here into kafka://host:port,... so every client reads one form.
        if value is None or not isinstance(value, str):
            return value
        if not value.strip():
            return None  # an empty variable means "unset": the embedded broker
        brokers = parse_kafka_url(value)
        return "kafka://" + ",".join(_address(host, port) for _, host, port in brokers)

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url_has_a_scheme(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is None or not isinstance(raw, str):
            return value
        if not raw.strip():
            return None
        if not raw.strip().startswith(("redis://", "rediss://", "unix://")):
            # Never echo it: the URL may carry the password.
            raise ValueError("must start with redis://, rediss:// or unix:// (value not shown)")
        return raw.strip()

    @model_validator(mode="before")
    @classmethod
    def _kafka_scheme_matches_protocol(cls, data: Any) -> Any:
        # PLAINTEXT://host:9092 with WIREWATCH_KAFKA_SECURITY_PROTOCOL=SSL (or the reverse)
        # would talk the wrong protocol to the port and hang; say so instead.
        if not isinstance(data, dict):
            return data
        url, protocol = data.get("kafka_url"), data.get("kafka_security_protocol") or "PLAINTEXT"
        if not isinstance(url, str) or not isinstance(protocol, str) or not url.strip():
            return data
        try:
            brokers = parse_kafka_url(url)
        except ValueError:
            return data  # the field validator reports it, naming the variable
        for scheme, host, port in brokers:
            if scheme not in (None, "kafka") and scheme.upper() != protocol.strip().upper():
                raise ValueError(
                    f"WIREWATCH_KAFKA_URL names {scheme.upper()}://{_address(host, port)} but "
                    f"WIREWATCH_KAFKA_SECURITY_PROTOCOL is {protocol.strip().upper()}; "
                    "make them agree"
                )
        return data

    @property
    def lexicon_cache_path(self) -> Path | None:
        """The directory for the compiled-lexicon cache, or None when it is off."""
        if not self.lexicon_cache:
            return None
        if self.lexicon_cache_dir is not None:
            return self.lexicon_cache_dir
        import platformdirs  # only here: settings import nothing heavy otherwise

        return Path(platformdirs.user_cache_dir("wirewatch", appauthor=False))

    @model_validator(mode="after")
    def _security_is_coherent(self) -> Self:
        # Refuse half-configured security at start-up rather than fail on the first connect.
        protocol = self.kafka_security_protocol
        sasl = protocol.startswith("SASL_")
        tls = protocol.endswith("SSL")
        if sasl and (not self.kafka_sasl_username or self.kafka_sasl_password is None):
            raise ValueError(
                f"WIREWATCH_KAFKA_SECURITY_PROTOCOL={protocol} needs "
                "WIREWATCH_KAFKA_SASL_USERNAME and WIREWATCH_KAFKA_SASL_PASSWORD"
            )
        if not sasl and (self.kafka_sasl_username or self.kafka_sasl_password is not None):
            raise ValueError(
                "WIREWATCH_KAFKA_SASL_USERNAME/_PASSWORD are set but "
                f"WIREWATCH_KAFKA_SECURITY_PROTOCOL is {protocol}; use SASL_PLAINTEXT or SASL_SSL"
            )
        tls_files = {
            "WIREWATCH_KAFKA_SSL_CAFILE": self.kafka_ssl_cafile,
            "WIREWATCH_KAFKA_SSL_CERTFILE": self.kafka_ssl_certfile,
            "WIREWATCH_KAFKA_SSL_KEYFILE": self.kafka_ssl_keyfile,
        }
        if not tls and any(f is not None for f in tls_files.values()):
            raise ValueError(
                "Kafka TLS files are set but "
                f"WIREWATCH_KAFKA_SECURITY_PROTOCOL is {protocol}; use SSL or SASL_SSL"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "WIREWATCH_KAFKA_SSL_CERTFILE and WIREWATCH_KAFKA_SSL_KEYFILE go together"
            )
        files = {**tls_files, "WIREWATCH_REDIS_SSL_CAFILE": self.redis_ssl_cafile}
        for name, f in files.items():
            if f is not None and not f.is_file():
                raise ValueError(f"{name}={f}: no such file")
        if self.redis_ssl_cafile is not None and not self.redis_is_tls:
            raise ValueError(
                "WIREWATCH_REDIS_SSL_CAFILE is set but WIREWATCH_REDIS_URL is not rediss://"
            )
        if self.heartbeat_interval_s >= self.session_timeout_s:
            raise ValueError(
                "WIREWATCH_HEARTBEAT_INTERVAL_S must be less than WIREWATCH_SESSION_TIMEOUT_S"
            )
        return self

    @property
    def kafka_brokers(self) -> list[tuple[str, int]]:
        """The bootstrap brokers as (host, port) pairs; empty when the embedded one is used."""
        if self.kafka_url is None:
            return []
        return [(host, port) for _, host, port in parse_kafka_url(self.kafka_url)]

    @property
    def redis_is_tls(self) -> bool:
        return self.redis_url is not None and self.redis_url.get_secret_value().startswith(
            "rediss://"
        )

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _is_secret(field: str) -> bool:
    info = Settings.model_fields.get(field)
    return info is not None and "SecretStr" in str(info.annotation)


def describe_settings_error(
    exc: ValidationError, environ: Mapping[str, str] | None = None
) -> list[str]:
    """One line per error, naming the variable, the value given (never a secret's) and what is
    allowed. pydantic's own str() spans lines and echoes the whole environment dict for
    model-level errors, secrets included."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if not field:
            lines.append(message)
            continue
        name = env_name(field)
        given = (environ or {}).get(name)
        shown = f"={given!r}" if given is not None and not _is_secret(field) else ""
        lines.append(f"{name}{shown}: {message}")
    return lines


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """WIREWATCH_* variables that are no setting (a typo would otherwise be silently ignored)."""
    known = {env_name(field) for field in Settings.model_fields}
    lines = []
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            lines.append(f"{name} is not a wirewatch setting; ignored{hint}")
    return lines


def environment_help() -> str:
    """Every variable with its default, for `wirewatch --help`."""
    rows = []
    for field, info in Settings.model_fields.items():
        default = info.default
        if field == "tables_dir":
            shown = "the packaged config/"
        elif default is None:
            shown = "unset"
        elif default == "":
            shown = "(empty)"
        else:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
        rows.append(f"  {env_name(field):40} {shown}")
    return "\n".join(rows)
