"""``python -m gatewayserver``: run the Gateway Server."""

from gatewayserver.config import GatewayServerConfig
from gatewayserver.server import build
from lorastack.service import main

if __name__ == "__main__":
    main(GatewayServerConfig, build)
