"""pyftpdlib as the benchmark's pure-Python reference: anonymous with write permission."""

import logging

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

logging.basicConfig(level=logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_anonymous("/srv/ftp", perm="elradfmwMT")
FTPHandler.authorizer = authorizer
FTPHandler.passive_ports = range(30000, 30100)
server = FTPServer(("0.0.0.0", 21), FTPHandler)
server.max_cons = 2000
server.max_cons_per_ip = 0
server.serve_forever()
