"""One logging format for every service, on stderr so `docker logs` shows it."""

from __future__ import annotations

import logging
import os


def setup_logging(name: str) -> logging.Logger:
    """Configure the root logger once from ``LOG_LEVEL`` and return ``name``'s logger."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(name)s[%(process)d] %(levelname)s %(message)s",
    )
    return logging.getLogger(name)
