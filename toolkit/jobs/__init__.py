"""Running calculations: validate, register, compute, store, export.

:mod:`toolkit.jobs.runner` runs a job in the calling process; the server issue adds worker
processes with status, abort and logs on top of the same function.
"""
