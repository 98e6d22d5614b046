"""``flask --app app blood scheduler``: the scheduler process (see ``process``)."""

from __future__ import annotations

import logging
import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext


def _exit_on_signal(signum, _frame) -> None:
    # Raised in the main thread, wherever it waits: the lock is let go on the way out.
    raise SystemExit(0)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduled jobs: indicators, alerts, expiry, summaries, outbox, pruning.

    Start one or more (on one host or several): one leads and runs the jobs, the others
    wait as hot standbys and take over within seconds if it stops. Stop with SIGTERM/SIGINT.
    """
    from blood.supervision.scheduler import process

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    app = current_app._get_current_object()
    click.echo(f"scheduler starting (database {app.config['DATABASE_URL'].split('://')[0]})")
    process.run(app)


# The commands blood.cli adds to `flask --app app blood`.
COMMANDS = (scheduler,)
