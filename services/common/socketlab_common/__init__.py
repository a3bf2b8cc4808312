"""Standard-library-only runtime shared by every socketlab image and the host CLI.

It holds the pieces each unit would otherwise write again: listening sockets,
the SIGTERM lifecycle, logging, the `Session` contract that the concurrency
models in `models/` run, and the registry of model names. The service images
and the client image copy it; the host installs it with the `socketlab` package.
"""
