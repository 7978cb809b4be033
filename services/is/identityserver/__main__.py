"""``python -m identityserver [migrate]``: run the Identity Server, or migrate its database."""

import asyncio
import sys

from identityserver.config import IdentityServerConfig
from identityserver.migrate import migrate
from identityserver.server import build
from lorastack.config import ConfigError, load
from lorastack.service import main


def _migrate() -> None:
    try:
        config = load(IdentityServerConfig)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    applied = asyncio.run(migrate(config.database_url))
    print(f"migrations applied: {', '.join(applied) if applied else 'none, schema is up to date'}")


if __name__ == "__main__":
    if sys.argv[1:] == ["migrate"]:
        _migrate()
    elif sys.argv[1:]:
        raise SystemExit("usage: python -m identityserver [migrate]")
    else:
        main(IdentityServerConfig, build)
