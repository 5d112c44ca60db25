"""Start-up checks that run before a worker joins its group: metrics port, broker, Redis.

Each failure is one line that names the setting and the address, so an operator fixes the
environment instead of reading a 60-line traceback after a 30 s wait.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.parse

import redis
from redis.exceptions import AuthenticationError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.settings import Settings
from workers.security import kafka_ssl_context, redis_options

# An ApiVersions request (key 18, version 0, correlation id 1, client id "wirewatch"). Brokers
# answer it before any SASL handshake, so it proves "a Kafka broker listens here" for every
# security protocol; credentials are proven by the first real client.
_API_VERSIONS = b"\x00\x12\x00\x00\x00\x00\x00\x01\x00\x09wirewatch"
_RETRY_PAUSE_S = 0.5


class PreflightError(Exception):
    """A start-up check failed; the message is one line for the operator."""


def check_metrics_port(settings: Settings) -> None:
    """The metrics endpoint can listen where it is told to (before we join any group)."""
    host, port = settings.metrics_host, settings.metrics_port
    if not port:
        return
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PreflightError(
            f"WIREWATCH_METRICS_HOST={host!r} is not an address this machine has: {exc.strerror}"
        ) from exc
    with socket.socket(family, kind, proto) as sock:
        # aiohttp sets SO_REUSEADDR too: a port in TIME_WAIT is free, one with a listener not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise PreflightError(
                f"WIREWATCH_METRICS_PORT={port}: cannot listen on {host}:{port} "
                f"({exc.strerror or exc}); choose a free port, or 0 to serve no metrics"
            ) from exc


def _probe_broker(host: str, port: int, timeout: float, context: ssl.SSLContext | None) -> None:
    """Connect, speak TLS if configured, and get an ApiVersions answer; raise OSError if not."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        sock: socket.socket = raw
        if context is not None:
            sock = context.wrap_socket(raw, server_hostname=host)
        sock.sendall(len(_API_VERSIONS).to_bytes(4, "big") + _API_VERSIONS)
        header = b""
        while len(header) < 8:
            chunk = sock.recv(8 - len(header))
            if not chunk:
                break
            header += chunk
        if len(header) < 8 or header[4:8] != b"\x00\x00\x00\x01":
            raise OSError("answered, but not as a Kafka broker")


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"host not found ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    return str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)


def check_broker(settings: Settings) -> None:
    """Some bootstrap broker answers within connect_timeout_s; else name each that did not.

    Refused connections are retried until the deadline: a broker restarting as the worker
    starts is normal in a rolling deploy.
    """
    brokers = settings.kafka_brokers
    if not brokers:
        return
    timeout = settings.connect_timeout_s
    context = kafka_ssl_context(settings)
    deadline = time.monotonic() + timeout
    failures: dict[str, str] = {}
    while True:
        for host, port in brokers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                _probe_broker(host, port, min(remaining, 5.0), context)
                return
            except (OSError, ssl.SSLError) as exc:
                failures[f"{host}:{port}"] = _why(exc)
        if time.monotonic() + _RETRY_PAUSE_S >= deadline:
            break
        time.sleep(_RETRY_PAUSE_S)
    where = ", ".join(f"{address} ({why})" for address, why in failures.items())
    raise PreflightError(
        f"no Kafka broker answered within {timeout:g}s (WIREWATCH_CONNECT_TIMEOUT_S): {where}; "
        "check WIREWATCH_KAFKA_URL"
    )


def redis_address(url: str) -> str:
    """host:port (or the socket path) of a Redis URL, without its password."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 6379}"


def check_redis(settings: Settings) -> None:
    """Redis answers PING with our credentials within connect_timeout_s (STYLE.md #5)."""
    if settings.redis_url is None:
        return
    url = settings.redis_url.get_secret_value()
    where = redis_address(url)
    timeout = settings.connect_timeout_s
    deadline = time.monotonic() + timeout
    reason = "no answer"
    while time.monotonic() < deadline:
        remaining = max(0.1, deadline - time.monotonic())
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=min(remaining, 5.0),
            socket_timeout=min(remaining, 5.0),
            retry_on_timeout=False,
            **redis_options(settings),
        )
        try:
            client.ping()
            return
        except AuthenticationError as exc:
            if urllib.parse.urlsplit(url).password is None:
                raise PreflightError(
                    f"Redis at {where} needs a password and WIREWATCH_REDIS_URL carries none; "
                    "use redis://:PASSWORD@host:port/0 (or USER:PASSWORD for an ACL user)"
                ) from exc
            raise PreflightError(
                f"Redis at {where} refused the credentials in WIREWATCH_REDIS_URL ({exc})"
            ) from exc
        except ResponseError as exc:
            # NOAUTH / NOPERM: the server wants credentials the URL does not carry.
            raise PreflightError(
                f"Redis at {where} refused PING: {exc}; put the user and password in "
                "WIREWATCH_REDIS_URL (redis://USER:PASSWORD@host:port/0)"
            ) from exc
        except (RedisConnectionError, RedisTimeoutError) as exc:
            reason = _why(exc.__cause__ or exc) if exc.__cause__ else str(exc) or "no answer"
        finally:
            client.close()
        time.sleep(min(_RETRY_PAUSE_S, max(0.0, deadline - time.monotonic())))
    raise PreflightError(
        f"Redis at {where} did not answer within {timeout:g}s (WIREWATCH_CONNECT_TIMEOUT_S): "
        f"{reason}; check WIREWATCH_REDIS_URL"
    )
