"""Settings: one frozen typed object, read from the environment once at the entrypoint."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Everything wirewatch can be told. Environment names are WIREWATCH_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="WIREWATCH_", frozen=True, extra="ignore")

    # Services. Unset means "start embedded local ones" (see workers/embedded.py).
    kafka_url: str | None = Field(
        default=None, description="Bootstrap servers, e.g. 'kafka://broker1:9092,broker2:9092'."
    )
    redis_url: SecretStr | None = Field(
        default=None, description="redis:// or rediss:// URL; may carry a password."
    )
    # Kafka security. PLAINTEXT by default (the embedded broker and the compose stack); SASL
    # mechanisms and TLS files go to faust and to the CLI's clients through workers/security.py.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How to talk to the brokers, as Kafka names it."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
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
    article_partitions: int = 4
    output_partitions: int = 1
    replication_factor: int = 1

    # Consumer behaviour. Short session timeout: a group join waits session_timeout/2.
    session_timeout_s: float = 6.0
    heartbeat_interval_s: float = 1.0
    processing_guarantee: str = Field(
        default="at_least_once",
        description="'at_least_once', or 'exactly_once' on a real Kafka cluster.",
    )

    # Input limits.
    max_article_bytes: int = 1_000_000

    # Detection thresholds (defaults are justified in README.md).
    emerging_min_sources: int = 3
    emerging_window_hours: float = 12.0
    story_window_hours: float = 168.0
    # A probability (config/matching.toml holds the model); chosen on the first half of the GVA
    # stream, see README.
    match_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
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

    # Observability.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, description="0 disables the /metrics endpoint.")
    log_level: str = "info"

    # Throughput: the prepared-lexicon cache (see workers/lexicon_cache.py).
    lexicon_cache: bool = Field(
        default=True, description="Keep the compiled tables and gazetteer on disk between starts."
    )
    lexicon_cache_dir: Path | None = Field(
        default=None, description="Where the compiled lexicon is kept; unset: the user cache dir."
    )

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
        sasl = self.kafka_security_protocol.startswith("SASL_")
        tls = self.kafka_security_protocol.endswith("SSL")
        if sasl and (not self.kafka_sasl_username or self.kafka_sasl_password is None):
            raise ValueError(
                f"kafka_security_protocol={self.kafka_security_protocol} needs "
                "WIREWATCH_KAFKA_SASL_USERNAME and WIREWATCH_KAFKA_SASL_PASSWORD"
            )
        if not sasl and (self.kafka_sasl_username or self.kafka_sasl_password is not None):
            raise ValueError(
                "SASL credentials are set but kafka_security_protocol is "
                f"{self.kafka_security_protocol}; use SASL_PLAINTEXT or SASL_SSL"
            )
        tls_files = (self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        if not tls and any(f is not None for f in tls_files):
            raise ValueError(
                "Kafka TLS files are set but kafka_security_protocol is "
                f"{self.kafka_security_protocol}; use SSL or SASL_SSL"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("kafka_ssl_certfile and kafka_ssl_keyfile go together")
        for f in (*tls_files, self.redis_ssl_cafile):
            if f is not None and not f.is_file():
                raise ValueError(f"{f}: no such file")
        if self.redis_ssl_cafile is not None and not self.redis_is_tls:
            raise ValueError("redis_ssl_cafile is set but redis_url is not rediss://")
        return self

    @property
    def redis_is_tls(self) -> bool:
        return self.redis_url is not None and self.redis_url.get_secret_value().startswith(
            "rediss://"
        )

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


def describe_settings_error(exc: ValidationError) -> str:
    """A ValidationError as text without input values: pydantic's own str() echoes the whole
    environment dict for model-level errors, secrets included."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in error["loc"])
        env = f"WIREWATCH_{where.upper()}: " if where else ""
        lines.append(f"  {env}{error['msg']}")
    return "\n".join(lines)
