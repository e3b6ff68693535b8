"""A ``dask.distributed`` executor: engine tasks on a dask cluster.

Selected with the setting ``executor``:

- ``"dask://host:8786"``: connect to a running scheduler (``dask scheduler`` on ``host``,
  ``dask worker tcp://host:8786`` on each machine); ``num_workers`` is ignored;
- ``"dask"``: start a :class:`distributed.LocalCluster` of ``num_workers`` worker processes
  (0: one per core), one thread each, and close it with the executor.

This module is imported only when such an executor is asked for (``get_executor``), so
``import toolkit`` never imports dask. dask is an optional dependency
(``pip install 'toolkit[dask]'``).

What is shipped: the task function is sent by reference (module and name; the workers must
have the same toolkit version installed) and its arguments are pickled. An argument object
shared by several tasks (the site collection, the GSIM list, the hazard spec, ...) is
scattered to the cluster once and referenced by every task that uses it, as the serial
executor passes the same object to every task; other arguments travel with their task.
Results are gathered as tasks finish and yielded with their task index, so progress is
reported as tasks complete and the calculators combine results in task order: results are
identical to the serial executor's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from toolkit.engine.executor import Executor
from toolkit.errors import CalculationError, InputError

__all__ = ["DaskExecutor", "parse_address"]

#: the scheduler's default port (``dask scheduler``)
DEFAULT_PORT = 8786

_INSTALL = "install it with: pip install 'toolkit[dask]' (or 'dask[distributed]')"

#: argument types never worth scattering (cheap to pickle, or immutable scalars)
_SMALL = (type(None), bool, int, float, complex, str, bytes)


class _Shared:
    """A task argument scattered once for many tasks, pickled as one object.

    dask serialises bare containers itself and turns namedtuple dictionary keys (the IMTs of
    a ``{IMT: levels}`` dict) into plain tuples; wrapped, the object goes through pickle whole.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _call_unwrapped(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` on the task arguments, scattered ones unwrapped."""
    return fn(*(arg.value if isinstance(arg, _Shared) else arg for arg in args))


def parse_address(spec: str) -> str | None:
    """The scheduler address of an executor setting; None for a local cluster.

    Parameters
    ----------
    spec : str
        ``"dask"`` (a local cluster) or ``"dask://host[:port]"`` (port 8786 by default).

    Returns
    -------
    str or None
        ``"tcp://host:port"``, or None for ``"dask"``.

    Raises
    ------
    InputError
        ``spec`` is not of either form.
    """
    if spec == "dask":
        return None
    prefix = "dask://"
    rest = spec[len(prefix):] if spec.startswith(prefix) else ""
    host, sep, port = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not sep:
        host, port = rest, str(DEFAULT_PORT)
    if not host or "/" in host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(
            f"setting 'executor' = {spec!r}: expected 'dask' (a local cluster) or "
            f"'dask://host:port' (a running dask scheduler, e.g. 'dask://10.0.0.5:8786')"
        )
    return f"tcp://{host}:{int(port)}"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise InputError(
            f"the dask executor needs dask.distributed, which is not installed ({exc}); "
            f"{_INSTALL}"
        ) from None
    return distributed


class DaskExecutor(Executor):
    """Run tasks on a dask.distributed cluster; yield ``(index, result)`` as they finish.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``"tcp://host:8786"``); None starts a local cluster.
    num_workers : int
        Worker processes of the local cluster; 0 means one per core. Ignored with
        ``address``.
    timeout : float
        Seconds to wait for the scheduler (connection) or the local cluster (start).
    client : distributed.Client, optional
        Use this client (and leave it open on :meth:`close`) instead of connecting.
    spec : str, optional
        The setting this executor was built from, quoted in error messages.

    Raises
    ------
    InputError
        dask.distributed is not installed.
    CalculationError
        The scheduler cannot be reached or the local cluster does not start; the message
        names the address.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        num_workers: int = 0,
        *,
        timeout: float = 20.0,
        client: Any = None,
        spec: str | None = None,
    ) -> None:
        self.address = address
        self.num_workers = num_workers or os.cpu_count() or 1
        self._own_client = client is None
        self._cluster: Any = None
        if client is not None:
            self.client = client
            return
        distributed = _import_distributed()
        where = f" (setting 'executor' = {spec!r})" if spec else ""
        if address is None:
            try:
                self._cluster = distributed.LocalCluster(
                    n_workers=self.num_workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                    timeout=f"{timeout}s",
                )
                self.client = distributed.Client(self._cluster, timeout=f"{timeout}s")
            except Exception as exc:  # distributed raises RuntimeError, OSError, TimeoutError
                self.close()
                raise CalculationError(
                    f"could not start a local dask cluster of {self.num_workers} "
                    f"workers{where}: {exc}"
                ) from exc
            return
        try:
            self.client = distributed.Client(address, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise CalculationError(
                f"cannot connect to the dask scheduler at {address}{where} within "
                f"{timeout:g} s: {exc}. Is `dask scheduler` running there, and is the port "
                "reachable from this machine?"
            ) from exc

    @classmethod
    def from_setting(cls, spec: str, num_workers: int = 0, timeout: float = 20.0) -> DaskExecutor:
        """Build the executor of a setting ``"dask"`` or ``"dask://host:port"``."""
        return cls(parse_address(spec), num_workers, timeout=timeout, spec=spec)

    def _scatter_shared(self, tasks: Sequence[tuple[Any, ...]]) -> dict[int, Any]:
        """Scatter argument objects used by more than one task; map id(obj) -> future."""
        count: dict[int, int] = {}
        objects: dict[int, Any] = {}
        for args in tasks:
            for arg in args:
                if isinstance(arg, _SMALL):
                    continue
                count[id(arg)] = count.get(id(arg), 0) + 1
                objects[id(arg)] = arg
        shared = [key for key, n in count.items() if n > 1]
        if not shared:
            return {}
        futures = self.client.scatter([_Shared(objects[key]) for key in shared], hash=False)
        return dict(zip(shared, futures, strict=True))

    def submit_all(
        self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, Any]]:
        """Submit every task; yield ``(index, result)`` in completion order.

        A task's exception is raised here with the worker's traceback; the tasks not yet
        finished are then cancelled.
        """
        distributed = _import_distributed()
        if not tasks:
            return
        shared = self._scatter_shared(tasks)
        futures = {}
        for index, args in enumerate(tasks):
            remote = [shared.get(id(arg), arg) for arg in args]
            future = self.client.submit(_call_unwrapped, fn, *remote, pure=False,
                                        key=f"{_name(fn)}-{index}-{os.urandom(6).hex()}")
            futures[future] = index
        pending = set(futures)
        try:
            for future in distributed.as_completed(list(futures)):
                pending.discard(future)
                index = futures[future]
                yield index, future.result()
                future.release()
        finally:
            if pending:
                self.client.cancel(list(pending))
            for future in shared.values():
                future.release()

    def close(self) -> None:
        """Close the client and the local cluster this executor started."""
        if self._own_client and getattr(self, "client", None) is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", "task")
