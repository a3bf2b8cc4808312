"""Reading how busy the servers' cores are, from /proc/stat text."""

from __future__ import annotations

from socketlab.bench import server_cpu

STAT = """cpu  300 0 100 1000 50 0 0 0 0 0
cpu0 200 0 50 400 25 0 5 0 0 0
cpu1 100 0 50 600 25 0 0 0 0 0
intr 12345
ctxt 999
"""


def test_cpuset_strings_become_core_numbers() -> None:
    assert server_cpu.cores_of("0") == {0}
    assert server_cpu.cores_of("0,2-3") == {0, 2, 3}
    assert server_cpu.cores_of(None) is None


def test_busy_ticks_are_everything_but_idle_and_iowait_of_the_chosen_cores() -> None:
    assert server_cpu.busy_jiffies({0}, STAT) == (255, 680)
    assert server_cpu.busy_jiffies({1}, STAT) == (150, 775)
    assert server_cpu.busy_jiffies(None, STAT) == (405, 1455)


def test_waiting_for_idle_cores_returns_once_they_are_quiet(monkeypatch) -> None:
    samples = iter([(0, 0), (90, 100), (180, 200), (181, 300)])  # busy, busy, then 1% busy
    monkeypatch.setattr(server_cpu, "busy_jiffies", lambda _cores: next(samples))
    waited = server_cpu.wait_until_cores_idle("0", interval=0.01, limit=5.0)
    assert 0.03 <= waited < 5.0
    assert next(samples, None) is None  # it looked until the quiet sample, and no further
