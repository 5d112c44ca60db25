"""Settings: one frozen typed object, read from the environment once at the entrypoint."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    story_window_hours: float = 72.0
    match_threshold: float = 0.35

    # Operator tables (aliases, places, actions, furniture) are read from here at start.
    tables_dir: Path = CONFIG_DIR

    # Observability.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, description="0 disables the /metrics endpoint.")
    log_level: str = "info"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"
