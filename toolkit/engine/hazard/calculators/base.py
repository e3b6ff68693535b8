"""Calculator base class and the registry of calculation modes.

A calculator implements ``prepare -> execute -> finalize`` and writes its results through
an injected *writer* (any object with a ``save(result)`` method, provided by the store), so
the engine never knows about files. The mode name is the module name and the job.ini
``calculation_mode`` value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolkit.engine.executor import Executor, SerialExecutor
from toolkit.registry import Registry

__all__ = ["Calculator", "calculators", "Progress"]

#: calculation mode -> Calculator subclass
calculators: Registry[Any] = Registry("calculation mode")

#: progress callback: (done, total, message)
Progress = Callable[[float, float, str], None]


def _no_progress(done: float, total: float, message: str) -> None:
    return None


class Calculator:
    """Base class of calculators.

    Parameters
    ----------
    inputs : object
        The validated inputs of the mode (e.g. :class:`ClassicalInputs`).
    writer : object with ``save(result)``
        Where results go (``toolkit.store`` provides one per calculation).
    executor : Executor, optional
        Where tasks run; serial by default.
    progress : callable, optional
        ``progress(done, total, message)`` called as work completes.
    """

    mode = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.mode:
            calculators.add(cls.mode, cls)

    def __init__(
        self,
        inputs: Any,
        writer: Any,
        executor: Executor | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.inputs = inputs
        self.writer = writer
        self.executor = executor or SerialExecutor()
        self.progress = progress or _no_progress

    def prepare(self) -> None:
        """Check inputs and split the work into tasks."""

    def execute(self) -> Any:
        """Run the tasks; return the result."""
        raise NotImplementedError

    def finalize(self, result: Any) -> None:
        """Write the result through the writer."""
        self.writer.save(result)

    def run(self) -> Any:
        """``prepare``, ``execute`` and ``finalize``; return the result."""
        self.prepare()
        result = self.execute()
        self.finalize(result)
        return result
