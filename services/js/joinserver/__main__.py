"""``python -m joinserver``: run the Join Server."""

from joinserver.config import JoinServerConfig
from joinserver.server import build
from lorastack.service import main

if __name__ == "__main__":
    main(JoinServerConfig, build)
