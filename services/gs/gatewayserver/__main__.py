"""``python -m gatewayserver``: run the Gateway Server."""

from lorastack.service import main

from gatewayserver.config import GatewayServerConfig
from gatewayserver.server import build

if __name__ == "__main__":
    main(GatewayServerConfig, build)
