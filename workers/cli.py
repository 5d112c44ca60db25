"""The `wirewatch` command line: run, replay, publish, extract, alerts, create-topics, status."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.settings import (
    Settings,
    describe_settings_error,
    environment_help,
    unknown_variables,
)
from detectors.conflicts import claimant_words
from topics import ALERTS, ARTICLES, Alert, Article, InvalidArticle, parse_article
from workers import preflight
from workers.embedded import EmbeddedServiceError, EmbeddedServices, faust_data_dir
from workers.security import kafka_client_options, redis_options

log = logging.getLogger("wirewatch")

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wirewatch")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # kafka-python narrates every connection at INFO; a person wants our lines, and its warnings.
    if logging.getLogger().level < logging.WARNING:
        logging.getLogger("kafka").setLevel(logging.WARNING)


# -- services ------------------------------------------------------------------------------------
@contextmanager
def services(settings: Settings) -> Iterator[Settings]:
    """Yield settings with both URLs set, starting embedded services for whatever is unset."""
    want_kafka, want_redis = settings.kafka_url is None, settings.redis_url is None
    if not (want_kafka or want_redis):
        yield settings
        return
    embedded = EmbeddedServices(want_kafka=want_kafka, want_redis=want_redis)
    try:
        embedded.start()
    except EmbeddedServiceError as exc:
        raise CliError(str(exc)) from exc
    try:
        update: dict[str, object] = {}
        if want_kafka:
            update["kafka_url"] = embedded.kafka_url
            log.info("no WIREWATCH_KAFKA_URL: embedded broker at %s", embedded.kafka_url)
        if want_redis:
            from pydantic import SecretStr

            update["redis_url"] = SecretStr(embedded.redis_url or "")
            log.info("no WIREWATCH_REDIS_URL: embedded redis-server at %s", embedded.redis_url)
        yield settings.model_copy(update=update)
    finally:
        embedded.stop()


def _bootstrap(settings: Settings) -> list[str]:
    from workers.app import bootstrap_servers

    assert settings.kafka_url is not None
    return bootstrap_servers(settings.kafka_url)


def _require_kafka(settings: Settings, command: str) -> None:
    if settings.kafka_url is None:
        raise CliError(
            f"`wirewatch {command}` talks to a running broker: set WIREWATCH_KAFKA_URL "
            "(e.g. kafka://localhost:9092). Use `wirewatch replay` for a self-contained run."
        )


def _missing_topics(settings: Settings) -> list[str]:
    from kafka.admin import KafkaAdminClient

    from workers.topics_admin import topic_plan

    admin = KafkaAdminClient(
        bootstrap_servers=_bootstrap(settings),
        client_id=f"{settings.app_id}-check",
        **kafka_client_options(settings),
    )
    try:
        existing = set(admin.list_topics())
    finally:
        admin.close()
    return [name for name in topic_plan(settings) if name not in existing]


# -- run -----------------------------------------------------------------------------------------
def _check_services(settings: Settings, *, kafka: bool = True, redis: bool = False) -> None:
    """Configured services answer within WIREWATCH_CONNECT_TIMEOUT_S (embedded ones always do)."""
    if kafka and settings.kafka_url is not None:
        preflight.check_broker(settings)
    if redis and settings.redis_url is not None:
        preflight.check_redis(settings)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    # Everything that can be checked is checked before the worker joins its group: a worker
    # that fails after joining costs the others a rebalance.
    preflight.check_metrics_port(settings)
    _check_services(settings, kafka=True, redis=True)
    with services(settings) as resolved:
        from workers.topics_admin import create_topics

        embedded = settings.kafka_url is None
        if embedded or args.create_topics:
            create_topics(resolved, _bootstrap(resolved))
        else:
            missing = _missing_topics(resolved)
            if missing:
                raise CliError(
                    f"topics missing on the broker: {', '.join(missing)}. Create them with "
                    "`wirewatch create-topics` (broker auto-create is never relied on)."
                )
        if embedded:
            # The one thing a person needs next: how to feed this worker from another shell.
            print(_publish_hint(resolved), file=sys.stderr, flush=True)
        return _run_worker(resolved)


def _publish_hint(settings: Settings) -> str:
    """The exact commands that reach this run's embedded broker from another shell."""
    env = f"WIREWATCH_KAFKA_URL={settings.kafka_url}"
    if settings.topic_prefix:
        env += f" WIREWATCH_TOPIC_PREFIX={shlex.quote(settings.topic_prefix)}"
    return (
        "wirewatch run: embedded broker and Redis; from another shell:\n"
        f"  {env} wirewatch publish FILE\n"
        f"  {env} wirewatch alerts"
    )


def _run_worker(settings: Settings) -> int:
    import faust

    from workers.app import create_app

    # faust's data directory is ours to remove on exit (or a configured one, reused).
    with faust_data_dir(settings.data_dir, settings.app_id) as datadir:
        worker = create_app(settings, datadir=datadir)
        runner = faust.Worker(worker.app, loglevel=settings.log_level.upper(), quiet=True)
        try:
            runner.execute_from_commandline()
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


def cmd_create_topics(settings: Settings, args: argparse.Namespace) -> int:
    _require_kafka(settings, "create-topics")
    _check_services(settings)
    from workers.topics_admin import create_topics

    created = create_topics(settings, _bootstrap(settings))
    print(json.dumps({"created": created}))
    return 0


# -- reading article files -----------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One article read from a file, with where it came from for error messages."""

    where: str
    raw: bytes


def _read_lines(path: Path, *, source: str | None, published_at: str | None) -> list[Line]:
    if not path.exists():
        raise CliError(f"{path}: no such file")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return [
            Line(f"{path}:{n}", line.strip())
            for n, line in enumerate(data.split(b"\n"), start=1)
            if line.strip()
        ]
    if suffix == ".json":
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CliError(f"{path}: not JSON: {exc}") from exc
        if not isinstance(doc, list):
            # One article: its bytes as written. Re-encoding with ASCII escapes made a valid
            # 990 KB UTF-8 article three times larger than the size limit.
            return [Line(str(path), data.strip())]
        return [
            Line(f"{path}[{i}]", json.dumps(d, ensure_ascii=False).encode())
            for i, d in enumerate(doc)
        ]
    # Plain text: the first non-empty line is the title, the rest the text.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    lines = text.strip().splitlines()
    if not lines:
        raise CliError(f"{path}: empty file")
    if source is None or published_at is None:
        raise CliError(f"{path}: plain-text articles need --source and --published-at")
    article = {
        "id": path.stem,
        "source": source,
        "published_at": published_at,
        "title": lines[0].strip(),
        "text": "\n".join(lines[1:]).strip(),
    }
    return [Line(f"{path}:1", json.dumps(article, ensure_ascii=False).encode())]


def _parse(line: Line, settings: Settings) -> Article:
    """The worker's own checks, with this machine's clock for the published_at range."""
    return parse_article(
        line.raw,
        max_bytes=settings.max_article_bytes,
        not_before=settings.published_at_floor,
        not_after=datetime.now(UTC) + timedelta(hours=settings.published_at_max_skew_hours),
    )


def _validate(
    lines: Sequence[Line], settings: Settings
) -> tuple[list[tuple[Line, Article]], list[str]]:
    good, errors = [], []
    for line in lines:
        try:
            good.append((line, _parse(line, settings)))
        except InvalidArticle as exc:
            errors.append(f"{line.where}: {exc.reason}: {exc.detail}")
    return good, errors


# -- publish -------------------------------------------------------------------------------------
def _producer(settings: Settings) -> object:
    from kafka import KafkaProducer

    # One request in flight keeps the order we send in, which replay relies on.
    return KafkaProducer(
        bootstrap_servers=_bootstrap(settings),
        acks="all",
        linger_ms=5,
        max_in_flight_requests_per_connection=1,
        client_id=f"{settings.app_id}-cli",
        **kafka_client_options(settings),
    )


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    _require_kafka(settings, "publish")
    lines: list[Line] = []
    for path in args.paths:
        lines += _read_lines(Path(path), source=args.source, published_at=args.published_at)
    good, errors = _validate(lines, settings)
    if errors:
        for error in errors:
            print(f"wirewatch publish: {error}", file=sys.stderr)
        print(
            f"wirewatch publish: refused: {len(errors)} bad article(s); nothing published",
            file=sys.stderr,
        )
        return EXIT_USAGE
    _check_services(settings)
    producer = _producer(settings)
    topic = settings.topic(ARTICLES)
    # Kafka keeps order only inside a partition, and the worker's windows run on event time:
    # one key for every article (the default) puts them on one partition in published_at
    # order, so `publish` + `run` sees what `replay` sees. See README "Keys and order".
    ordered = sorted(good, key=lambda pair: pair[1].published_at)
    for line, article in ordered:
        key = article.id if args.key_by_id else args.key
        producer.send(topic, key=key.encode(), value=line.raw)  # type: ignore[attr-defined]
    producer.flush()  # type: ignore[attr-defined]
    producer.close()  # type: ignore[attr-defined]
    keyed = "keyed by article id" if args.key_by_id else f"key {args.key!r} (one partition)"
    print(
        f"published {len(good)} article(s) to {topic} in published_at order, {keyed}",
        file=sys.stderr,
    )
    return 0


# -- replay --------------------------------------------------------------------------------------
def _order(lines: Sequence[Line], settings: Settings) -> list[Line]:
    """Valid articles in published_at order; invalid ones after them, to be dead-lettered."""
    keyed, bad = [], []
    for index, line in enumerate(lines):
        try:
            article = _parse(line, settings)
        except InvalidArticle:
            bad.append(line)
            continue
        keyed.append((article.published_at, index, line))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [line for _, _, line in keyed] + bad


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    lines: list[Line] = []
    for path in args.paths:
        lines += _read_lines(Path(path), source=args.source, published_at=args.published_at)
    ordered = _order(lines, settings)
    if not ordered:
        raise CliError("nothing to replay")
    _check_services(settings, kafka=True, redis=True)
    with services(settings) as resolved:
        from workers.topics_admin import create_topics

        create_topics(resolved, _bootstrap(resolved))
        worker = None if args.no_worker else _spawn_worker(resolved, quiet=_show_progress())
        try:
            return _replay(resolved, ordered, worker, args, fresh_broker=settings.kafka_url is None)
        finally:
            if worker is not None:
                _stop_process(worker)


def _show_progress() -> bool:
    """A live progress line only for a person at a terminal; logs and CI get the summary."""
    return sys.stderr.isatty()


def _spawn_worker(settings: Settings, *, quiet: bool = False) -> subprocess.Popen[bytes]:
    assert settings.kafka_url is not None and settings.redis_url is not None
    env = {
        **os.environ,
        "WIREWATCH_KAFKA_URL": settings.kafka_url,
        "WIREWATCH_REDIS_URL": settings.redis_url.get_secret_value(),
    }
    # Replay's own worker serves no metrics unless asked, so it never fights a running one's port.
    env.setdefault("WIREWATCH_METRICS_PORT", "0")
    # A group join waits half the session timeout; replay's single worker wants it short.
    env.setdefault("WIREWATCH_SESSION_TIMEOUT_S", "2")
    env.setdefault("WIREWATCH_HEARTBEAT_INTERVAL_S", "0.5")
    if quiet:
        # Under a progress line the worker's per-alert INFO lines would scroll it away; the
        # alerts themselves are on stdout. An explicit WIREWATCH_LOG_LEVEL still wins.
        env.setdefault("WIREWATCH_LOG_LEVEL", "warning")
    cmd = [sys.executable, "-m", "workers.cli", "run"]
    # Its logs go to our stderr; stdout stays for alerts.
    return subprocess.Popen(cmd, env=env, stdout=sys.stderr, stdin=subprocess.DEVNULL)


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _replay(
    settings: Settings,
    lines: Sequence[Line],
    worker: subprocess.Popen[bytes] | None,
    args: argparse.Namespace,
    *,
    fresh_broker: bool,
) -> int:
    import redis
    from kafka import KafkaConsumer, TopicPartition

    from workers.pipeline import REPLAY_HEADER, SEQ_HEADER
    from workers.store import replay_key

    assert settings.redis_url is not None
    run_id = uuid.uuid4().hex[:12]
    alerts_topic = settings.topic(ALERTS)
    consumer = KafkaConsumer(
        bootstrap_servers=_bootstrap(settings), enable_auto_commit=False, group_id=None,
        consumer_timeout_ms=200, client_id=f"{settings.app_id}-replay",
        **kafka_client_options(settings),
    )  # fmt: skip
    partitions = consumer.partitions_for_topic(alerts_topic) or {0}
    assigned = [TopicPartition(alerts_topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    if fresh_broker:
        consumer.seek_to_beginning(*assigned)
    else:
        consumer.seek_to_end(*assigned)
        for tp in assigned:
            consumer.position(tp)  # resolve now, before we publish anything

    producer = _producer(settings)
    topic = settings.topic(ARTICLES)
    started = time.monotonic()
    for seq, line in enumerate(lines):
        # One key for the whole run: one partition, so the worker sees published_at order.
        producer.send(  # type: ignore[attr-defined]
            topic,
            key=f"replay-{run_id}".encode(),
            value=line.raw,
            headers=[(REPLAY_HEADER, run_id.encode()), (SEQ_HEADER, str(seq).encode())],
        )
    producer.flush()  # type: ignore[attr-defined]
    producer.close()  # type: ignore[attr-defined]
    log.info("replay %s: published %d article(s) to %s", run_id, len(lines), topic)

    client = redis.Redis.from_url(
        settings.redis_url.get_secret_value(), socket_timeout=5, **redis_options(settings)
    )
    done_key = replay_key(settings.redis_prefix, run_id, "done")
    dead_key = replay_key(settings.redis_prefix, run_id, "dead")
    alerts_key = replay_key(settings.redis_prefix, run_id, "alerts")
    deadline = started + args.timeout
    done = 0
    with _progress_bar(len(lines)) as progress:
        while True:
            done = int(client.scard(done_key))
            if progress is not None:
                progress.update(done - progress.n)
                progress.set_postfix_str(
                    f"{int(client.scard(dead_key))} dead-lettered, "
                    f"{int(client.scard(alerts_key))} alert(s)",
                    refresh=True,
                )
            if done >= len(lines):
                break
            if worker is not None and worker.poll() is not None:
                raise CliError(
                    f"the replay worker exited with code {worker.returncode} after "
                    f"{done} article(s)"
                )
            if time.monotonic() > deadline:
                raise CliError(
                    f"timed out after {args.timeout:.0f}s: {done} of {len(lines)} article(s) "
                    "processed"
                )
            time.sleep(0.1)
    expected = {a.decode() if isinstance(a, bytes) else a for a in client.smembers(alerts_key)}
    dead = int(client.scard(dead_key))

    # Every expected alert is already acknowledged by the broker; read until we have them all.
    seen: set[str] = set()
    alert_deadline = time.monotonic() + 60
    while seen != expected:
        for record in consumer:
            alert_id = dict(record.headers or []).get("wirewatch-alert-id", b"").decode()
            if alert_id in expected and alert_id not in seen:
                seen.add(alert_id)
                sys.stdout.write(record.value.decode() + "\n")
                sys.stdout.flush()
        if time.monotonic() > alert_deadline:
            raise CliError(
                f"{len(expected - seen)} acknowledged alert(s) not read back from {alerts_topic}"
            )
    consumer.close()
    # The summary is printed whatever the log level: it is the answer to "did it work?".
    elapsed = time.monotonic() - started
    print(
        f"replay {run_id}: {len(lines)} article(s): {done - dead} processed, {dead} "
        f"dead-lettered; {len(seen)} alert(s) in {elapsed:.1f}s "
        f"({len(lines) / max(elapsed, 1e-9):.1f} articles/s)",
        file=sys.stderr,
        flush=True,
    )
    if args.assignments:
        _write_assignments(client, settings, lines, Path(args.assignments))
    return 0


@contextmanager
def _progress_bar(total: int) -> Iterator[Any]:
    """tqdm on stderr when it is a terminal (processed/total, rate, ETA); else None."""
    if not _show_progress():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit="article", desc="replay", file=sys.stderr, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


def _write_assignments(
    client: object, settings: Settings, lines: Sequence[Line], out: Path
) -> None:
    """One JSON line per processed article: its id and its final story id (after merges)."""
    from workers.store import article_key, final_story_sync

    written = 0
    with out.open("w") as f:
        for line in lines:
            try:
                article = parse_article(line.raw, max_bytes=settings.max_article_bytes)
            except InvalidArticle:
                continue  # dead-lettered: it has no story
            raw = client.get(article_key(settings.redis_prefix, article.id))  # type: ignore[attr-defined]
            if raw is None:
                continue
            story = final_story_sync(client, settings.redis_prefix, raw.decode())
            f.write(json.dumps({"article_id": article.id, "story_id": story}) + "\n")
            written += 1
    log.info("wrote %d assignment(s) to %s", written, out)


# -- extract -------------------------------------------------------------------------------------
def cmd_extract(settings: Settings, args: argparse.Namespace) -> int:
    from workers.app import build_extractor

    path = Path(args.file)
    published_at = args.published_at
    if path.suffix.lower() not in (".json", ".jsonl") and published_at is None:
        published_at = datetime.now(UTC).isoformat(timespec="seconds")
        print(
            f"wirewatch extract: no --published-at; resolving dates against {published_at}",
            file=sys.stderr,
        )
    lines = _read_lines(path, source=args.source or "local", published_at=published_at)
    good, errors = _validate(lines, settings)
    for error in errors:
        print(f"wirewatch extract: {error}", file=sys.stderr)
    extractor = build_extractor(settings)
    indent = 2 if len(lines) == 1 else None
    failed = 0
    for line, article in good:
        try:
            signature = extractor.extract(article)
        except Exception:
            # A bug in extraction (the worker dead-letters it as extraction_failed): say which
            # article, with the traceback for the bug report, and go on with the others.
            log.exception("%s: extraction failed for article %r", line.where, article.id)
            failed += 1
            continue
        print(signature.model_dump_json(indent=indent))
    if failed:
        return EXIT_FAILED
    return EXIT_USAGE if errors else 0


# -- alerts --------------------------------------------------------------------------------------
def _interval(low: float | None, high: float | None) -> str:
    return f"[{'…' if low is None else f'{low:g}'}, {'…' if high is None else f'{high:g}'}]"


def render_alert(alert: Alert) -> str:
    """One readable block per alert: a headline, then the evidence side by side.

    Figure alerts get one row per claim (when, outlet, who says so, the value as written, its
    interval, the article) with the sentence beneath; a dispute first lists each claimant's
    position and the outlets that carry it.
    """
    when = alert.event_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    rows = [f"[{when}Z] {alert.severity.upper():8} {alert.kind:18} story {alert.story_id}"]
    rows.append(f"    {alert.summary}")
    if alert.claims:
        if alert.figure:
            rows.append(f"    figure: {alert.figure}")
        if alert.kind == "figures.disputed":
            positions: dict[tuple[frozenset[str], str], tuple[str, list[str]]] = {}
            for c in alert.claims:
                who = claimant_words(c.claimant)
                _, sources = positions.setdefault(
                    (who, c.value_text), (c.claimant or "(unattributed)", [])
                )
                if c.source not in sources:
                    sources.append(c.source)
            for (_, value), (claimant, sources) in positions.items():
                rows.append(f"    {claimant} says {value!r}  (carried by {', '.join(sources)})")
        rows.append(
            f"    {'published':18} {'source':26} {'claimant':22} {'value as written':20} "
            f"{'interval':16} article"
        )
        for c in alert.claims:
            at = c.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            rows.append(
                f"    {at + 'Z':18} {c.source[:26]:26} {(c.claimant or '-')[:22]:22} "
                f"{c.value_text[:20]:20} {_interval(c.low, c.high):16} {c.article_id}"
            )
            rows.append(f'        "{c.sentence[:220]}"')
    elif alert.articles:
        for a in alert.articles:
            when = a.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            rows.append(f"    {a.source:28} {when}Z  {a.title[:70]}")
    if alert.related_story_ids:
        rows.append(f"    related stories: {', '.join(alert.related_story_ids)}")
    if alert.supersedes:
        rows.append(f"    updates alert {alert.supersedes}")
    return "\n".join(rows)


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    _require_kafka(settings, "alerts")
    _check_services(settings)
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.topic(ALERTS),
        bootstrap_servers=_bootstrap(settings),
        group_id=None,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
        enable_auto_commit=False,
        **kafka_client_options(settings),
    )
    try:
        for record in consumer:
            try:
                alert = Alert.model_validate_json(record.value)
            except ValidationError as exc:
                print(f"unreadable alert at offset {record.offset}: {exc}", file=sys.stderr)
                continue
            print(
                json.dumps(alert.model_dump(mode="json")) if args.json else render_alert(alert),
                flush=True,
            )
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


# -- status --------------------------------------------------------------------------------------
def default_status_url(settings: Settings) -> str:
    """Where a worker started with these settings serves /readyz and /metrics."""
    if not settings.metrics_port:
        raise CliError("WIREWATCH_METRICS_PORT is 0 (no endpoint): pass --url http://HOST:PORT")
    host = settings.metrics_host
    # A worker bound to every interface is reachable on loopback from the same host.
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.metrics_port}"


def _http_get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:  # 503 from /readyz still carries the JSON answer
        return int(exc.code), exc.read()


def _samples(metrics_text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    return found


def render_status(url: str, ready: dict[str, object], metrics_text: str | None, now: float) -> str:
    """The readiness answer and the headline metrics, as an on-call engineer reads them."""
    verdict = "READY" if ready.get("ready") else "NOT READY"
    errors = ready.get("errors") if isinstance(ready.get("errors"), dict) else {}
    assert isinstance(errors, dict)
    rows = [f"wirewatch worker at {url}: {verdict}"]
    # `consuming` (false once the worker stopped on repeated failures) is absent from older
    # workers' answers.
    checks = ("broker", "redis", "assignment", *(("consuming",) if "consuming" in ready else ()))
    for check in checks:
        state = "ok" if ready.get(check) else f"FAIL  {errors.get(check, '')}".rstrip()
        rows.append(f"  {check:11} {state}")
    if metrics_text is None:
        return "\n".join(rows)
    samples = _samples(metrics_text)

    def total(name: str) -> float:
        return sum(value for _, value in samples.get(name, []))

    def by(name: str, label: str) -> str:
        parts = [f"{labels[label]} {value:g}" for labels, value in samples.get(name, []) if value]
        return f" ({', '.join(sorted(parts))})" if parts else ""

    dead = "wirewatch_articles_deadlettered_total"
    rows.append(
        f"  articles    {total('wirewatch_articles_consumed_total'):g} consumed, "
        f"{total('wirewatch_articles_processed_total'):g} processed, "
        f"{total(dead):g} dead-lettered{by(dead, 'reason')}"
    )
    alerts = "wirewatch_alerts_published_total"
    rows.append(f"  alerts      {total(alerts):g} published{by(alerts, 'kind')}")
    lag = samples.get("wirewatch_consumer_lag_messages", [])
    rows.append(f"  lag         {sum(v for _, v in lag):g} message(s) over {len(lag)} partition(s)")
    rows.append(
        f"  stories     {total('wirewatch_active_stories'):g} active, "
        f"{total('wirewatch_emerging_stories'):g} emerging"
    )
    last = total("wirewatch_last_article_timestamp_seconds")
    rows.append(f"  last input  {max(0.0, now - last):.0f}s ago" if last else "  last input  never")
    redis_errors = total("wirewatch_redis_errors_total")
    if redis_errors:
        rows.append(f"  redis       {redis_errors:g} failed operation(s)")
    return "\n".join(rows)


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    url = (args.url or default_status_url(settings)).rstrip("/")
    try:
        code, body = _http_get(f"{url}/readyz", args.timeout)
    except (OSError, ValueError) as exc:
        print(f"wirewatch status: no worker answers at {url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        ready = json.loads(body)
    except json.JSONDecodeError:
        print(f"wirewatch status: {url}/readyz answered {code} without JSON", file=sys.stderr)
        return EXIT_FAILED
    metrics_text: str | None = None
    try:
        metrics_code, metrics_body = _http_get(f"{url}/metrics", args.timeout)
        if metrics_code == 200:
            metrics_text = metrics_body.decode()
    except OSError as exc:
        log.warning("could not read %s/metrics: %s", url, exc)
    if args.json:
        print(json.dumps({"url": url, **ready}))
    else:
        print(render_status(url, ready, metrics_text, time.time()))
    return 0 if code == 200 and ready.get("ready") is True else EXIT_FAILED


# -- main ----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="environment variables (read once at start; default shown):\n"
        f"{environment_help()}\n\n"
        "What each one means: the Configuration table in README.md.",
    )
    parser.add_argument("--version", action="version", version=f"wirewatch {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the stream worker (embedded broker and Redis unless configured)"
    )
    run.add_argument("--create-topics", action="store_true", help="create missing topics first")
    run.set_defaults(func=cmd_run)

    topics = sub.add_parser(
        "create-topics", help="create the topics with explicit partition counts"
    )
    topics.set_defaults(func=cmd_create_topics)

    for name, func, text in (
        (
            "publish",
            cmd_publish,
            "publish article files (JSONL, JSON, plain text) to the articles topic",
        ),
        (
            "replay",
            cmd_replay,
            "push articles through the real pipeline in published_at order; print alerts",
        ),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.add_argument("--source", help="source (outlet host) for plain-text files")
        p.add_argument("--published-at", help="RFC 3339 publication time for plain-text files")
        p.set_defaults(func=func)
        if name == "publish":
            p.add_argument(
                "--key",
                default="wirewatch",
                help="record key for every article (default 'wirewatch'): one key, one "
                "partition, so the worker reads them in published_at order as replay does",
            )
            p.add_argument(
                "--key-by-id",
                action="store_true",
                help="key each article by its id instead: spreads them over partitions, but "
                "one story's articles may then be processed out of order",
            )
        if name == "replay":
            p.add_argument(
                "--timeout", type=float, default=600.0, help="seconds to wait (default 600)"
            )
            p.add_argument(
                "--no-worker", action="store_true", help="rely on workers already running"
            )
            p.add_argument("--assignments", help="write article -> story lines here")

    extract = sub.add_parser("extract", help="print the signature of an article file (no services)")
    extract.add_argument("file")
    extract.add_argument("--source")
    extract.add_argument("--published-at")
    extract.set_defaults(func=cmd_extract)

    alerts = sub.add_parser("alerts", help="follow the alerts topic, one readable block per alert")
    alerts.add_argument("--from-beginning", action="store_true")
    alerts.add_argument("--json", action="store_true", help="print the alert records as JSON lines")
    alerts.set_defaults(func=cmd_alerts)

    status = sub.add_parser(
        "status", help="ask a running worker whether it is ready; exit 0 if so, 1 if not"
    )
    status.add_argument(
        "--url", help="the worker's metrics endpoint (default: WIREWATCH_METRICS_HOST/PORT)"
    )
    status.add_argument("--json", action="store_true", help="print /readyz's JSON answer")
    status.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        # One line per error, each naming its variable; no traceback (exit 2, like argparse).
        for line in describe_settings_error(exc, os.environ):
            print(f"wirewatch: bad configuration: {line}", file=sys.stderr)
        return EXIT_USAGE
    for line in unknown_variables(os.environ):
        print(f"wirewatch: warning: {line}", file=sys.stderr)
    _setup_logging(settings.log_level)
    # SIGTERM becomes SystemExit so `finally` blocks stop what we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from kafka.errors import KafkaError
    from redis.exceptions import RedisError

    try:
        return int(args.func(settings, args))
    except preflight.PreflightError as exc:
        print(f"wirewatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"wirewatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE if args.command in ("publish", "extract") else EXIT_FAILED
    except (KafkaError, RedisError) as exc:
        # A service that passed the start-up check and failed later (credentials, ACLs, an
        # advertised listener we cannot reach): one line, not a client library's traceback.
        print(f"wirewatch {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
