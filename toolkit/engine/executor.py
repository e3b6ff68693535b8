"""The executor seam: where independent engine tasks run.

Calculators split their work into independent tasks (source groups x site blocks) and hand
them to an executor. ``serial`` runs them in the calling process; ``processpool`` in a local
pool of worker processes; ``dask`` (a local dask cluster) and ``dask://host:port`` (a running
dask scheduler) on dask.distributed workers, with the same ``submit_all`` contract
(:mod:`toolkit.engine.executor_dask`, imported only when asked for).

Results do not depend on the executor: every task is a pure function of its arguments and
the calculator combines task results in task order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

from toolkit.registry import Registry

__all__ = ["Executor", "SerialExecutor", "ProcessPoolTaskExecutor", "executors", "get_executor"]

executors: Registry[Any] = Registry("executor")


class Executor:
    """Run ``fn(*args)`` for each args tuple; yield ``(index, result)`` as tasks finish."""

    name = "base"

    def submit_all(
        self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (no-op for the serial executor)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@executors.add("serial")
class SerialExecutor(Executor):
    """Run every task in the calling process, in order."""

    name = "serial"

    def __init__(self, num_workers: int = 1) -> None:
        self.num_workers = 1

    def submit_all(
        self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        for i, args in enumerate(tasks):
            yield i, fn(*args)


@executors.add("processpool")
class ProcessPoolTaskExecutor(Executor):
    """Run tasks in a pool of local worker processes (``spawn`` start method).

    Parameters
    ----------
    num_workers : int
        Number of processes; 0 or None means one per CPU core.
    """

    name = "processpool"

    def __init__(self, num_workers: int | None = 0) -> None:
        self.num_workers = num_workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.num_workers, mp_context=get_context("spawn"))
        return self._pool

    def submit_all(
        self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        pool = self._get_pool()
        pending = {pool.submit(fn, *args): i for i, args in enumerate(tasks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    yield index, future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def get_executor(name: str, num_workers: int = 0) -> Executor:
    """Build the executor registered as ``name`` (``serial`` or ``processpool``), or a dask
    executor for ``"dask"`` (local cluster) and ``"dask://host:port"`` (scheduler)."""
    if name == "dask" or name.startswith("dask://"):
        from toolkit.engine.executor_dask import DaskExecutor

        return DaskExecutor.from_setting(name, num_workers)
    return executors.get(name)(num_workers)
