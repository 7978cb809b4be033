"""``python -m networkserver``: run the Network Server."""

from lorastack.service import main
from networkserver.config import NetworkServerConfig
from networkserver.server import build

if __name__ == "__main__":
    main(NetworkServerConfig, build)
