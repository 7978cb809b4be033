"""``python -m joinserver``: run the Join Server."""

from lorastack.service import main

from joinserver.config import JoinServerConfig
from joinserver.server import build

if __name__ == "__main__":
    main(JoinServerConfig, build)
