"""The concurrency models by name: one list for the servers, the clients, the CLI and the benchmarks.

A model's name is what `ECHO_MODEL` takes, what the compose label
`socketlab.model` shows, and what the benchmark tables print; its service is
the compose service that runs it. The baselines are not models of the notes:
they are peers the benchmarks measure the models against (asyncio on uvloop,
and a C epoll loop, the floor of what one core can do).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    name: str          # ECHO_MODEL value and report name, e.g. "epoll-et"
    service: str       # compose service running it, e.g. "echo-epoll-et"
    notes: str         # section of the notes that teaches it ("" for the references)
    concurrent: bool   # serves many clients at once (the iterative loop serves one)
    baseline: bool = False  # a benchmark peer, not one of the lab's own drivers


MODELS: tuple[Model, ...] = (
    Model("iterative", "echo-iterative", "1.3", concurrent=False),
    Model("fork", "echo-fork", "3.1.1", concurrent=True),
    Model("thread", "echo-thread", "3.1.2", concurrent=True),
    Model("select", "echo-select", "3.3", concurrent=True),
    Model("poll", "echo-poll", "3.3", concurrent=True),
    Model("epoll", "echo-epoll", "3.3", concurrent=True),
    Model("epoll-et", "echo-epoll-et", "3.3", concurrent=True),
    Model("asyncio", "echo-asyncio", "", concurrent=True),
)
"""The lab's own drivers, in teaching order."""

BASELINES: tuple[Model, ...] = (
    Model("uvloop", "echo-uvloop", "", concurrent=True, baseline=True),
    Model("c-epoll", "echo-c", "", concurrent=True, baseline=True),
)
"""Benchmark peers (compose profile `bench`)."""

MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in MODELS)
CONCURRENT_MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in MODELS if m.concurrent)
ALL_NAMES: tuple[str, ...] = MODEL_NAMES + tuple(m.name for m in BASELINES)
"""Every echo server the benchmarks know, models first, then baselines: the order of every table."""


def find_model(name: str) -> Model:
    """The model or baseline called `name`; ValueError listing the valid names otherwise."""
    for model in MODELS + BASELINES:
        if model.name == name:
            return model
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(ALL_NAMES)}")
