"""Jobs on a PostgreSQL queue (procrastinate) for installs with many users on several worker processes.

``global.queue: postgres`` makes ``serve`` and the scheduler defer each (user, job) run as a task
(:mod:`bookrelay.queue.runner`); ``bookrelay worker`` runs them (:mod:`bookrelay.queue.worker`). See
docs/scale-out.md.
"""
