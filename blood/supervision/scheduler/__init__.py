"""The scheduler process: ``flask --app app blood scheduler``.

It runs APScheduler 3's blocking scheduler in a process of its own (gunicorn's workers never
start one: nothing in ``create_app`` does). Any number of them may run, on one host or
several; exactly one leads and runs the jobs, the others wait as hot standbys:

- ``config``: the intervals and local times, read once when the process starts;
- ``lock``: who leads — a session-level advisory lock held on a connection of its own on
  PostgreSQL, an ``flock`` on a file of the instance folder on SQLite;
- ``recording``: each run of a job recorded in ``supervision_job_run``, each step in its own
  transaction, a job of a period run once per period;
- ``jobs``: what each job does and which period it covers;
- ``process``: the loop — wait for the lock, lead (schedule the jobs, check the lock), stand
  by again if it is lost;
- ``cli``: the command.
"""
