"""The recruitment commands."""

import click

COMMANDS: list[click.Command] = []
