"""Running calculations: validate, register, compute, store, export.

* :mod:`toolkit.jobs.runner` runs a job in the calling process (``toolkit run``,
  ``toolkit.run``);
* :mod:`toolkit.jobs.manager` is the server's job manager: it validates and queues jobs, runs
  each in its own worker process (:mod:`toolkit.jobs.worker`, its own process group), records
  status, progress and log lines in the catalogue, aborts, removes, and recovers after a
  restart.
"""
