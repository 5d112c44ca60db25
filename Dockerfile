# syntax=docker/dockerfile:1
# wirewatch worker image: the package installed into python:3.11-slim, run as non-root.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# .dockerignore keeps the context to pyproject.toml, README.md and the four packages.
COPY . .
RUN pip wheel --wheel-dir /wheels .


FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WIREWATCH_METRICS_HOST=0.0.0.0 \
    WIREWATCH_METRICS_PORT=9464 \
    WIREWATCH_LEXICON_CACHE_DIR=/var/lib/wirewatch/cache

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install /wheels/*.whl

RUN groupadd --system --gid 10001 wirewatch \
    && useradd --system --uid 10001 --gid wirewatch --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin wirewatch \
    && install -d -o wirewatch -g wirewatch /var/lib/wirewatch
USER wirewatch:wirewatch
# faust keeps a temporary data directory (removed on exit) unless WIREWATCH_DATA_DIR is set.
WORKDIR /var/lib/wirewatch

EXPOSE 9464

# slim has no curl; urlopen raises (exit 1) on refusal, timeout or a non-2xx status.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WIREWATCH_METRICS_PORT', '9464'), timeout=2)"

# The worker handles SIGTERM: it stops consuming, commits offsets and leaves the group.
STOPSIGNAL SIGTERM
CMD ["wirewatch", "run"]
