"""Concurrency-model drivers: every way the notes serve many clients, one module each.

Each driver has the same entry point, ``serve(listener, new_session, stop)``,
and runs sessions until `stop` is set. The registry maps the model names used
on the command line, in compose and in benchmarks to those functions.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from socketlab_common.lifecycle import StopSignal
from socketlab_common.registry import MODEL_NAMES
from socketlab_common.session import SessionFactory

from . import asyncio_loop, epoll_et_loop, epoll_loop, forking, iterative, poll_loop, select_loop, threaded

Driver = Callable[[socket.socket, SessionFactory, StopSignal], None]

DRIVERS: dict[str, Driver] = {
    "iterative": iterative.serve,
    "fork": forking.serve,
    "thread": threaded.serve,
    "select": select_loop.serve,
    "poll": poll_loop.serve,
    "epoll": epoll_loop.serve,
    "epoll-et": epoll_et_loop.serve,
    "asyncio": asyncio_loop.serve,
}

MODELS = MODEL_NAMES
assert tuple(DRIVERS) == MODELS, "every model of the registry has exactly one driver, in its order"


def get_driver(model: str) -> Driver:
    try:
        return DRIVERS[model]
    except KeyError:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}") from None
