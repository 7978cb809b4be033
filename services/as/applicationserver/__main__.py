"""``python -m applicationserver``: run the Application Server."""

from lorastack.service import main

from applicationserver.config import ApplicationServerConfig
from applicationserver.server import build

if __name__ == "__main__":
    main(ApplicationServerConfig, build)
