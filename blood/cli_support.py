"""What every command module shares, so that feature packages' commands need not import
``blood.cli`` (which gathers them all): a refused operation printed, not a traceback."""

from __future__ import annotations

import functools
import sys

import click


def domain_errors_exit(fn):
    """Print a refused operation's reasons and exit 2, instead of a traceback."""
    from blood.errors import DomainError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as error:
            click.echo(f"error: {error.message}", err=True)
            for name, messages in getattr(error, "fields", {}).items():
                for message in messages:
                    click.echo(f"  {name}: {message}", err=True)
            sys.exit(2)

    return wrapper
