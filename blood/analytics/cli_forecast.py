"""The forecast commands."""

import click

COMMANDS: list[click.Command] = []
