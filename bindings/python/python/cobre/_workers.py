"""Worker processes: ``train``/``simulate`` with ``num_workers > 1``.

The parent starts ``num_workers`` processes with :mod:`multiprocessing`
(``spawn``: a fresh interpreter each, never ``fork`` with running threads),
each of which joins a group over the chosen backend (TCP sockets or POSIX
shared memory, in Rust) and runs its share of the work; the engine's
exchanges go through that backend, never through Python, so results are
bit-identical to one process. The parent only orchestrates:

* it relays progress events (``ProgressEvent`` with ``worker_id``) from the
  workers to the callback, and a callback's request to stop back to them;
* it watches every worker: when one dies or fails, the others are
  terminated at once and :class:`cobre.WorkerError` (``rank``,
  ``exit_code``, ``inner``) is raised, within seconds;
* Ctrl-C asks the workers to stop at the next iteration (their own SIGINT
  is ignored), then raises ``KeyboardInterrupt`` with the result so far; a
  second Ctrl-C, or workers that do not stop within a grace period, ends
  them;
* each worker watches the parent and exits if the parent dies, so no
  process is left behind however the parent ends.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import queue
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from cobre import _cobre
from cobre.errors import ValidationError, WorkerError

BACKENDS = ("auto", "local", "shm", "tcp")
#: Seconds a worker waits for its peers (joining, or inside an exchange).
PEER_TIMEOUT_S = float(os.environ.get("COBRE_WORKER_TIMEOUT_SECS", "600"))
#: Seconds the workers get to stop after Ctrl-C before they are terminated.
STOP_GRACE_S = 30.0


@dataclass(frozen=True)
class WorkerInfo:
    """One worker process of a multi-process run.

    Attributes:
        rank: the worker's rank (0-based).
        wall_time_ms: wall time of its computation (after joining the group).
        backend: the backend it used (``"shm"`` or ``"tcp"``).
    """

    rank: int
    wall_time_ms: float
    backend: str


def resolve_backend(backend: str, num_workers: int) -> str:
    """The backend to use: ``"local"`` for one worker; ``"auto"`` is
    ``"tcp"`` when ``COBRE_TCP_COORDINATOR`` is set, else ``"shm"`` (one
    host) where POSIX shared memory exists, else ``"tcp"``."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValidationError(
            f"backend: unknown backend {backend!r}",
            kind="InvalidEnum",
            context={"argument": "backend", "value": repr(backend)},
            suggestion="one of " + ", ".join(repr(b) for b in BACKENDS),
        )
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
        raise ValidationError(
            f"num_workers: must be an integer >= 1, not {num_workers!r}",
            kind="OutOfRange",
            context={"argument": "num_workers"},
        )
    if backend == "local" or num_workers == 1:
        return "local"
    if backend == "auto":
        if os.environ.get("COBRE_TCP_COORDINATOR"):
            return "tcp"
        return "shm" if os.name == "posix" else "tcp"
    if backend == "shm" and os.name != "posix":
        raise ValidationError(
            "backend: 'shm' needs POSIX shared memory", kind="IncompatibleSettings",
            context={"argument": "backend"}, suggestion="use backend='tcp'",
        )
    return backend


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _threads(threads: int | None, num_workers: int) -> int:
    """Threads of each worker: as given, else the cores shared out."""
    if threads is None:
        return max(1, (os.cpu_count() or 1) // num_workers)
    return threads


def _group_spec(backend: str, size: int) -> dict[str, Any]:
    """What every worker needs to find the others."""
    spec: dict[str, Any] = {
        "backend": backend,
        "size": size,
        "token": secrets.randbits(63),
        "timeout_s": PEER_TIMEOUT_S,
    }
    if backend == "tcp":
        host = os.environ.get("COBRE_TCP_COORDINATOR", "127.0.0.1")
        port = os.environ.get("COBRE_TCP_PORT")
        spec["address"] = f"{host}:{port or _free_port(host if host != 'localhost' else '127.0.0.1')}"
    else:
        spec["name"] = f"/cobre_{os.getpid()}_{secrets.token_hex(6)}"
    return spec


def _watch_parent() -> None:
    """In a worker: exit as soon as the parent process is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(70)

    threading.Thread(target=watch, name="cobre-parent-watch", daemon=True).start()


def _worker_main(spec: dict[str, Any], events: Any, stop: Any, results: Any,
                 answered: Any) -> None:
    """Entry point of a worker process (module level: spawn imports it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
    _watch_parent()
    rank = spec["rank"]
    sync = spec.get("sync_progress", False)

    def progress(event: Any) -> bool:
        events.put(event.to_dict())
        if sync and event.phase == "training":
            # The user's callback decides, in the parent, before the next
            # iteration starts (as in one process): wait for its answer (or
            # for a stop, which a Ctrl-C in the parent raises whatever it
            # interrupted).
            while answered.value < event.iteration and not stop.is_set():
                stop.wait(0.001)
        return stop.is_set()

    try:
        out = _cobre._run_worker(spec, progress)
        results.put(("ok", rank, out))
    except BaseException as e:  # noqa: BLE001 - everything goes to the parent
        results.put(("error", rank, {
            "type": type(e).__name__,
            "kind": getattr(e, "kind", type(e).__name__),
            "message": getattr(e, "message", None) or str(e),
        }))
        results.close()
        results.join_thread()
        sys.exit(1)
    results.close()
    results.join_thread()


class _Group:
    """The worker processes of one call, watched by the parent."""

    def __init__(self, spec: dict[str, Any], num_workers: int,
                 callback: Callable[[Any], Any] | None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.ctx = ctx
        self.spec = spec
        self.callback = callback
        self.events = ctx.Queue()
        self.results = ctx.Queue()
        self.answered = ctx.Value("q", 0)
        self.stop = ctx.Event()
        # Training events of rank 0 wait for the callback's answer.
        self.sync = callback is not None
        spec = {**spec, "sync_progress": self.sync}
        self.callback_error: BaseException | None = None
        self.stopped_by_callback = False
        self.procs = [
            ctx.Process(
                target=_worker_main,
                args=({**spec, "rank": rank}, self.events, self.stop, self.results,
                      self.answered),
                name=f"cobre-worker-{rank}",
                daemon=True,
            )
            for rank in range(num_workers)
        ]
        self.outputs: dict[int, dict[str, Any]] = {}
        self.errors: dict[int, dict[str, Any]] = {}

    def _drain(self) -> None:
        while True:
            try:
                status, rank, payload = self.results.get_nowait()
            except queue.Empty:
                break
            (self.outputs if status == "ok" else self.errors)[rank] = payload
        while True:
            try:
                d = self.events.get_nowait()
            except queue.Empty:
                break
            stop = self.stop.is_set()
            try:
                if self.callback is not None and self.callback_error is None and not stop:
                    try:
                        if self.callback(_cobre.ProgressEvent(**d)):
                            self.stopped_by_callback = stop = True
                    except StopIteration:
                        self.stopped_by_callback = stop = True
                    except KeyboardInterrupt:
                        # Ctrl-C landed while the callback ran: an interrupt
                        # like any other (run() handles it), not the
                        # callback's own decision to stop.
                        self.stop.set()
                        raise
                    except BaseException as e:  # noqa: BLE001 - re-raised by run()
                        self.callback_error = e
                        stop = True
            finally:
                # Rank 0 waits for the answer; a Ctrl-C that skips it sets
                # the stop flag in run(), which ends the wait too.
                if stop:
                    self.stop.set()
                if self.sync and d.get("phase") == "training":
                    self.answered.value = max(self.answered.value, int(d.get("iteration") or 0))

    def _failure(self) -> WorkerError | None:
        """The first failed worker, preferring one that died without a word
        (its peers' errors are consequences)."""
        failed = [(r, p.exitcode) for r, p in enumerate(self.procs)
                  if p.exitcode is not None and p.exitcode != 0]
        if not failed:
            return None
        self._drain()
        silent = [f for f in failed if f[0] not in self.errors]
        rank, code = (silent or failed)[0]
        inner = self.errors.get(rank)
        if inner is None:
            how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
            message = f"worker {rank} {how}"
        else:
            message = f"worker {rank} failed: [{inner['kind']}] {inner['message']}"
        more = len(failed) - 1
        if more:
            message += f" ({more} other worker(s) stopped too)"
        return WorkerError(message, kind="WorkerFailed", rank=rank, exit_code=code,
                           inner=inner, context={"rank": rank, "exit_code": code})

    def _end_all(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.terminate()
        deadline = time.monotonic() + 5
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(1)

    def run(self) -> tuple[dict[int, dict[str, Any]], bool]:
        """Runs the group to the end; returns every rank's output and
        whether it was interrupted (Ctrl-C)."""
        interrupted = False
        stop_deadline: float | None = None
        try:
            for p in self.procs:
                p.start()
            while True:
                try:
                    waitables = [p.sentinel for p in self.procs if p.exitcode is None]
                    waitables.append(self.results._reader)  # type: ignore[attr-defined]
                    waitables.append(self.events._reader)  # type: ignore[attr-defined]
                    # (a worker may wait for a reply: events are answered below)
                    multiprocessing.connection.wait(waitables, timeout=0.1)
                    self._drain()
                    failure = self._failure()
                    if failure is not None:
                        self._end_all()
                        raise failure
                    if all(p.exitcode == 0 for p in self.procs):
                        self._drain()
                        missing = [r for r in range(len(self.procs)) if r not in self.outputs]
                        if missing:
                            raise WorkerError(
                                f"worker {missing[0]} exited without a result",
                                kind="WorkerFailed", rank=missing[0], exit_code=0, inner=None,
                            )
                        return self.outputs, interrupted
                    if stop_deadline is not None and time.monotonic() > stop_deadline:
                        self._end_all()
                        raise KeyboardInterrupt
                except KeyboardInterrupt:
                    if interrupted:
                        raise
                    interrupted = True
                    self.stop.set()
                    stop_deadline = time.monotonic() + STOP_GRACE_S
        finally:
            self._end_all()
            if self.spec.get("backend") == "shm":
                _cobre._unlink_shm(self.spec["name"])


def _plain(value: Any) -> Any:
    """A value of the overrides with every mapping made a dict and every
    tuple a list, as JSON has them."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _overrides_json(config_overrides: Any) -> str | None:
    if config_overrides is None:
        return None
    if not isinstance(config_overrides, Mapping):
        raise ValidationError(
            "config_overrides: must be a dict (or another mapping) of config.json keys, or None",
            kind="TypeMismatch", context={"argument": "config_overrides"},
        )
    return json.dumps(_plain(config_overrides))


def _case_and_overrides(case: Any, config_overrides: Any) -> tuple[Any, str | None]:
    """The loaded case with the call's overrides (validated here, in the
    parent, so a bad key fails before any process starts) and the JSON the
    workers apply."""
    if not isinstance(case, _cobre.Case):
        case = _cobre.load_case(case)
    text = _overrides_json(config_overrides)
    merged = _cobre.load_case(case.path, json.loads(text)) if text else case
    return merged, text


def _workers_info(outputs: dict[int, dict[str, Any]], backend: str) -> list[WorkerInfo]:
    return [WorkerInfo(rank=r, wall_time_ms=outputs[r]["wall_time_ms"], backend=backend)
            for r in sorted(outputs)]


def train(case: Any, config_overrides: Any, progress_callback: Any, threads: int | None,
          num_workers: int, backend: str) -> Any:
    """``cobre.train`` on ``num_workers`` processes (see the module docs)."""
    merged, text = _case_and_overrides(case, config_overrides)
    if progress_callback is not None and not callable(progress_callback):
        raise ValidationError("progress_callback: must be callable", kind="TypeMismatch",
                              context={"argument": "progress_callback"})
    tmp = tempfile.mkdtemp(prefix="cobre-train-")
    try:
        spec = _group_spec(backend, num_workers)
        spec.update(task="train", case=str(merged.path), overrides=text,
                    threads=_threads(threads, num_workers),
                    policy_out=str(Path(tmp) / "policy"))
        group = _Group(spec, num_workers, progress_callback)
        outputs, interrupted = group.run()
        lead = outputs[0]
        reason = lead["termination_reason"]
        if interrupted and reason == "callback":
            reason = "interrupted"
        result = _cobre._training_result_from_worker(
            merged, spec["policy_out"], reason, lead["train_time_ms"],
            _workers_info(outputs, backend),
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    error = group.callback_error or (KeyboardInterrupt(
        "training interrupted; the policy trained so far is in exc.partial_result")
        if interrupted else None)
    if error is not None:
        error.partial_result = result  # type: ignore[attr-defined]
        raise error
    return result


def simulate(case: Any, policy: Any, config_overrides: Any, progress_callback: Any,
             output_dir: Any, threads: int | None, in_memory: bool | None,
             scenarios_per_partition: int, num_workers: int, backend: str) -> Any:
    """``cobre.simulate`` on ``num_workers`` processes: each simulates whole
    partitions of ``scenarios_per_partition`` scenarios."""
    merged, text = _case_and_overrides(case, config_overrides)
    keep = (output_dir is None) if in_memory is None else bool(in_memory)
    tmp = tempfile.mkdtemp(prefix="cobre-simulate-")
    try:
        policy_dir = str(Path(tmp) / "policy")
        policy.save(policy_dir, merged)
        spec = _group_spec(backend, num_workers)
        spec.update(task="simulate", case=str(merged.path), overrides=text,
                    threads=_threads(threads, num_workers),
                    policy_dir=policy_dir,
                    output_dir=None if output_dir is None else str(output_dir),
                    in_memory=keep, scenarios_per_partition=int(scenarios_per_partition))
        group = _Group(spec, num_workers, progress_callback)
        outputs, interrupted = group.run()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ranks = sorted(outputs)
    files = [f for r in ranks for f in outputs[r]["files"]]
    tables = [outputs[r]["tables"] for r in ranks] if keep else None
    result = _cobre._simulation_result_from_workers(
        outputs[0]["summary"], None if output_dir is None else Path(output_dir), files, tables)
    error = group.callback_error or (KeyboardInterrupt(
        "simulation interrupted; the results so far are in exc.partial_result")
        if interrupted else None)
    if error is not None:
        error.partial_result = result  # type: ignore[attr-defined]
        raise error
    return result
