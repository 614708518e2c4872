"""The ``mixopt`` command group; each command lives in its own module."""

from __future__ import annotations

import click

from mixopt.cli.common import CONTEXT_SETTINGS
from mixopt.version import mixopt_version


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(mixopt_version(), prog_name="mixopt")
def cli() -> None:
    """Plan influencer campaigns: the provably best blend of pico, nano and micro creators.

    \b
    Start with:  mixopt solve scenarios/awareness_launch.yaml
    """
