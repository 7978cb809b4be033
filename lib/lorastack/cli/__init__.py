"""``lorastack``: the operator's command line client of the cluster's gRPC API, in the spirit of ttn-lw-cli."""

from lorastack.cli.app import main

__all__ = ["main"]
