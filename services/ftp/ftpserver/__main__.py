"""``python3 -m ftpserver``: run the FTP server configured from the environment."""

from __future__ import annotations

import os
import sys

from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener
from socketlab_common.log import setup_logging

from .config import FtpConfig
from .jail import remove_stale_uploads
from .server import FtpServer


def main() -> int:
    log = setup_logging("ftp")
    try:
        config = FtpConfig.from_env()
    except (OSError, ValueError) as exc:
        log.error("bad configuration: %s", exc)
        return 2
    if not os.path.isdir(config.root):
        log.error("FTP_ROOT %s is not a directory", config.root)
        return 2
    for stale in remove_stale_uploads(config.root):
        log.warning("removed %s: an upload the previous run never finished", stale)
    stop = StopSignal()
    stop.install_signal_handlers()
    listener = tcp_listener(config.host, config.port)
    log.info("listening on %s:%d root=%s passive=%d-%d host-pasv=%s anonymous=%s anon-upload=%s read-only=%s "
             "users=%s limits=%d/%d per ip idle=%ss", config.host, config.port, config.root,
             config.pasv_ports.start, config.pasv_ports.stop - 1, config.pasv_address_host or "-", config.anonymous,
             config.anon_upload, config.read_only, ",".join(sorted(config.users)) or "-", config.max_connections,
             config.max_per_ip, config.idle_timeout)
    with listener:
        FtpServer(config, stop).serve(listener)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
