"""Creates wirewatch's topics up front with explicit partition counts (never auto-create)."""

from __future__ import annotations

import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from config.settings import Settings
from topics import ALERTS, ARTICLES, DEADLETTERS, SIGNATURES
from workers.security import kafka_client_options

log = logging.getLogger(__name__)


def topic_plan(settings: Settings) -> dict[str, int]:
    """Topic name -> partition count. Outputs are small; articles carry the parallelism."""
    return {
        settings.topic(ARTICLES): settings.article_partitions,
        settings.topic(SIGNATURES): settings.article_partitions,
        settings.topic(ALERTS): settings.output_partitions,
        settings.topic(DEADLETTERS): settings.output_partitions,
    }


def create_topics(settings: Settings, bootstrap: list[str], timeout_s: float = 30.0) -> list[str]:
    """Create missing topics; return the names created. Existing topics are left as they are."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                client_id=f"{settings.app_id}-admin",
                **kafka_client_options(settings),
            )
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("broker not reachable yet (%s); retrying", exc)
            time.sleep(1.0)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(name, partitions, settings.replication_factor)
            for name, partitions in topic_plan(settings).items()
            if name not in existing
        ]
        created: list[str] = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        for name, partitions in topic_plan(settings).items():
            if name in existing:
                log.info("topic %s exists; left as it is", name)
            else:
                log.info("created topic %s with %d partitions", name, partitions)
        return created
    finally:
        admin.close()
