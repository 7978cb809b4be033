"""Rights: the ``Right`` enum's implications, and the cached look-up every service uses."""

from lorastack.rights.client import RightsClient, errors, takes_rights_away
from lorastack.rights.table import ENTITY_KINDS, expand, implied_by

__all__ = ["ENTITY_KINDS", "RightsClient", "errors", "expand", "implied_by", "takes_rights_away"]
