"""Run by test_faust_fixes: a faust consumer whose flow stops in the middle of a fetched batch.

Usage: python -m tests.integration.faust_drop_probe KAFKA_URL TOPIC GROUP COUNT OUT

The agent stops the consumer's flow on the first record (what a rebalance does) and resumes it
a moment later. The stream buffer holds one record, so the fetcher is still inside the batch
when the flow stops: faust drops the rest of it. Prints one JSON line: the offsets the agent
saw, and how many times the fix sought a dropped batch back, to the file OUT, then exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile

import faust

from workers import faust_fixes


def main() -> None:
    url, topic_name, group, count, out = sys.argv[1:6]
    faust_fixes.install()
    app = faust.App(
        group, broker=url, web_enabled=False, autodiscover=False, store="memory://",
        datadir=tempfile.mkdtemp(prefix="wirewatch-probe-"), topic_allow_declare=False,
        topic_disable_leader=True, consumer_auto_offset_reset="earliest",
        broker_session_timeout=2.0, broker_heartbeat_interval=0.5, stream_buffer_maxsize=1,
    )  # fmt: skip
    refetched = [0]
    setattr(app, faust_fixes.REFETCH_HOOK, lambda: refetched.__setitem__(0, refetched[0] + 1))
    topic = app.topic(topic_name, value_serializer="raw", key_serializer="raw")
    seen: list[int] = []
    state = {"stopped": False}

    def report_and_stop() -> None:
        with open(out, "w") as f:
            f.write(json.dumps({"seen": seen, "refetched": refetched[0]}))
        # A probe: nothing to flush or commit, so no orderly (and slow) faust shutdown.
        os._exit(0)

    @app.agent(topic)
    async def probe(stream: faust.StreamT) -> None:
        async for event in stream.events():
            seen.append(event.message.offset)
            if not state["stopped"]:
                state["stopped"] = True
                app.consumer.stop_flow()
                asyncio.get_running_loop().call_later(1.0, app.consumer.resume_flow)
            if len(set(seen)) == int(count):
                report_and_stop()

    @app.timer(interval=20.0)
    async def give_up() -> None:
        report_and_stop()

    worker = faust.Worker(app, loglevel="WARNING", quiet=True)
    try:
        worker.execute_from_commandline()
    except SystemExit:
        pass


if __name__ == "__main__":
    main()
