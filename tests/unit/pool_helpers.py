"""Chunk functions for the extraction-pool tests: they run inside pool processes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from workers.extraction_pool import Job, Outcome, _extract_chunk

# Set by the test through the article source: where "crash once" leaves its marker.
CRASH_ONCE = "crash-once:"


def crash_on_cue(jobs: list[Job]) -> list[Outcome]:
    """Kill this process on an article titled 'crash', hang on 'hang', and kill it once on a
    source 'crash-once:<dir>' (the second attempt finds the marker and extracts)."""
    for job in jobs:
        title, source = job.article.title, job.article.source
        if title == "crash":
            os._exit(3)
        if title == "hang":
            time.sleep(3600)
        if source.startswith(CRASH_ONCE):
            marker = Path(source.removeprefix(CRASH_ONCE)) / job.article.id
            if not marker.exists():
                marker.touch()
                os._exit(4)
    return _extract_chunk(jobs)
