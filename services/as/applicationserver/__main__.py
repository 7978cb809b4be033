"""``python -m applicationserver``: run the Application Server."""

from applicationserver.config import ApplicationServerConfig
from applicationserver.server import build
from lorastack.service import main

if __name__ == "__main__":
    main(ApplicationServerConfig, build)
