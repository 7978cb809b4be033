"""``python -m identityserver [migrate | bootstrap]``: run the Identity Server, migrate its database,
or create the first admin user and API key (idempotent; the key is printed only when created).
"""

import asyncio
import sys

from identityserver.bootstrap import bootstrap
from identityserver.config import IdentityServerConfig
from identityserver.migrate import migrate
from identityserver.server import build
from lorastack.config import ConfigError, load
from lorastack.service import main


def _config() -> IdentityServerConfig:
    try:
        return load(IdentityServerConfig)
    except ConfigError as err:
        raise SystemExit(str(err)) from None


def _migrate() -> None:
    applied = asyncio.run(migrate(_config().database_url))
    print(f"migrations applied: {', '.join(applied) if applied else 'none, schema is up to date'}")


def _bootstrap() -> None:
    result = asyncio.run(bootstrap(_config()))
    if result.created_user:
        print(f"admin user `{result.user_id}` created")
        if result.generated_password:
            print(f"admin password (shown once): {result.generated_password}")
    else:
        print(f"admin user `{result.user_id}` exists")
    if result.api_key:
        print(f"admin API key (shown once, store it now): {result.api_key}")
    else:
        print("admin API key exists (it was printed when it was created)")


if __name__ == "__main__":
    if sys.argv[1:] == ["migrate"]:
        _migrate()
    elif sys.argv[1:] == ["bootstrap"]:
        _bootstrap()
    elif sys.argv[1:]:
        raise SystemExit("usage: python -m identityserver [migrate | bootstrap]")
    else:
        main(IdentityServerConfig, build)
