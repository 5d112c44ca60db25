"""Turns the security settings into client options: one place for faust, kafka-python, Redis."""

from __future__ import annotations

import ssl
from typing import Any

from faust.auth import SASLCredentials, SSLCredentials
from faust.types.auth import CredentialsT

from config.settings import Settings


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for the brokers, or None when the protocol has no TLS.

    Built once from the same files for the worker (aiokafka) and the CLI (kafka-python), so
    both verify the brokers the same way.
    """
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile is not None and settings.kafka_ssl_keyfile is not None:
        key_password = settings.kafka_ssl_key_password
        context.load_cert_chain(
            str(settings.kafka_ssl_certfile),
            str(settings.kafka_ssl_keyfile),
            password=key_password.get_secret_value() if key_password else None,
        )
    return context


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """faust's broker_credentials: SASL (with TLS under SASL_SSL), TLS alone, or None."""
    context = kafka_ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        return SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return SSLCredentials(context)
    return None


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """Security keyword arguments for kafka-python's KafkaProducer/KafkaConsumer/KafkaAdminClient.

    The result holds the password: pass it to a client, never log it.
    """
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    context = kafka_ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
        options["ssl_check_hostname"] = settings.kafka_ssl_check_hostname
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def redis_options(settings: Settings) -> dict[str, Any]:
    """Extra keyword arguments for Redis.from_url (sync and asyncio); AUTH rides in the URL."""
    if settings.redis_is_tls and settings.redis_ssl_cafile is not None:
        return {"ssl_ca_certs": str(settings.redis_ssl_cafile)}
    return {}


def describe_security(settings: Settings) -> str:
    """One log-safe line: protocol, mechanism, user and files; never a password."""
    parts = [f"kafka {settings.kafka_security_protocol}"]
    if settings.kafka_security_protocol.startswith("SASL_"):
        parts.append(f"{settings.kafka_sasl_mechanism} as {settings.kafka_sasl_username}")
    if settings.kafka_ssl_cafile:
        parts.append(f"CA {settings.kafka_ssl_cafile}")
    if settings.kafka_ssl_certfile:
        parts.append(f"client cert {settings.kafka_ssl_certfile}")
    redis = "redis TLS" if settings.redis_is_tls else "redis plain"
    if settings.redis_url is not None and "@" in settings.redis_url.get_secret_value():
        redis += " with AUTH"
    return "; ".join([", ".join(parts), redis])
