"""socketlab's FTP server: the notes' file server (3.1.2) speaking real FTP.

One thread per client connection with blocking sockets (the notes' multi-thread
model). The control protocol (`wire`, `session`) is sans-I/O: bytes in, bytes
out, plus a `Transfer` request that the threaded driver (`server`, `transfer`)
executes on a data connection.
"""
