"""The analytics commands, gathered by `blood.cli.register_cli` (which imports this module;
this module never imports `blood.cli`)."""

from blood.analytics.cli_forecast import COMMANDS as FORECAST_COMMANDS
from blood.analytics.cli_recruitment import COMMANDS as RECRUITMENT_COMMANDS

COMMANDS = [*FORECAST_COMMANDS, *RECRUITMENT_COMMANDS]
