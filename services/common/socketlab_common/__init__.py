"""Standard-library-only runtime shared by every socketlab service image.

It holds the pieces each service would otherwise write again: listening
sockets, the SIGTERM lifecycle, logging, and the concurrency-model drivers
(`socketlab_common.drivers`) that run any byte-in/byte-out `Session`.
"""
