"""The exception tree of toolkit.

Every error the toolkit raises on purpose is a :class:`ToolkitError`. The subclasses also
derive from the built-in exception a Python user would naturally catch (as h5py does), and
each carries the HTTP ``status`` the server answers with::

    Exception
    └── ToolkitError                       status 500
        ├── InputError(ValueError)         status 400  bad job.ini, NRML, CSV, parameters
        │   └── UnknownName(KeyError)      status 400  unknown GSIM, MSR, mode, IMT ...
        ├── NotFound(KeyError)             status 404  unknown calculation, output, file
        ├── CalculationError(RuntimeError) status 500  a calculation failed while running
        └── StoreError(OSError)            status 500  datastore or catalogue problem

Messages name the file, line or field involved and what was expected.
"""

from __future__ import annotations

__all__ = [
    "ToolkitError",
    "InputError",
    "UnknownName",
    "NotFound",
    "CalculationError",
    "StoreError",
]


class ToolkitError(Exception):
    """Base class of every error raised by toolkit on purpose."""

    status: int = 500

    def __str__(self) -> str:  # KeyError quotes its message; we do not want that.
        return str(self.args[0]) if self.args else self.__class__.__name__


class InputError(ToolkitError, ValueError):
    """Invalid user input: a job file, a model file, a parameter value."""

    status = 400


class UnknownName(InputError, KeyError):
    """A name (GSIM, calculation mode, scaling relation, ...) that no registry knows."""

    status = 400


class NotFound(ToolkitError, KeyError):
    """A calculation, output or file that does not exist."""

    status = 404


class CalculationError(ToolkitError, RuntimeError):
    """A calculation failed while running."""

    status = 500


class StoreError(ToolkitError, OSError):
    """The datastore or the catalogue could not be read or written."""

    status = 500
