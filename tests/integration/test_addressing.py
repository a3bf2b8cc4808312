"""The addressing lab (notes 1.1.3 and the bind() comments of 1.2.3), proved on real hosts.

* the reachability matrix of `socketlab.reachability` (the same declaration
  `socketlab check` prints), over TCP and UDP, from inside bind-demo, a public
  client host and a private client host (public addresses through the NAT router);
* real tools agree (`nc` from each network);
* every host sees its own addresses (`ip -4 addr`), bind-demo both of them;
* a UDP broadcast reaches exactly the hosts of its subnet;
* `socketlab capture` records a TCP three-way handshake and four-way close;
* the CLI: check, topology, ps, client shell on the private network.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socketlab.hosts import ClientHost
from socketlab.pcap import closed_both_ways, read_capture
from socketlab.reachability import Demo, docker_prober, run_matrix

from .capturing import CLI, socketlab_capture
from .lab import ComposeLab


@pytest.fixture(scope="module")
def demo(lab: ComposeLab) -> Demo:
    return Demo(lab.service_ip("bind-demo", "public"), lab.service_ip("bind-demo", "private"))


# Host numbers of this module (other modules use .50/.51, .70-.74 and .79): public .90, private .90 and .91.
@pytest.fixture(scope="module")
def private_host(lab: ComposeLab) -> Iterator[ClientHost]:
    host = lab.client_host("private", 90)
    yield host
    host.stop()


@pytest.fixture(scope="module")
def private_host_2(lab: ComposeLab) -> Iterator[ClientHost]:
    host = lab.client_host("private", 91)
    yield host
    host.stop()


@pytest.fixture(scope="module")
def carol_host(lab: ComposeLab) -> Iterator[ClientHost]:
    """A third public host: the broadcast sender."""
    host = lab.client_host(host_number=90)
    yield host
    host.stop()


def test_demo_addresses_come_from_the_compose_file(lab: ComposeLab, demo: Demo) -> None:
    prefix = lab.settings.net_prefix
    assert (demo.public_ip, demo.private_ip) == (f"{prefix}.1.30", f"{prefix}.2.30")


def test_reachability_matrix_is_exactly_as_declared(lab: ComposeLab, demo: Demo, alice_host: ClientHost,
                                                   private_host: ClientHost) -> None:
    inside = lab.service_container("bind-demo").id
    probers = {"inside the container": docker_prober(inside), "public client": docker_prober(alice_host.id),
               "private client": docker_prober(private_host.id)}
    router = lab.service_ip("router", "public")
    matrix = run_matrix(demo, probers, {"public client": alice_host.ip, "private client": private_host.ip},
                        nat_address=router)
    assert len(matrix.cells) == 12
    assert matrix.ok, "\n".join(f"{c.row.title} -> {c.column.title}: expected {c.expected}, got "
                                f"{ {p: a.outcome for p, a in c.attempts.items()} } seen as {c.peers_seen}"
                                for c in matrix.unexpected())
    # Where a client got through, the server saw it by its own address, except through the NAT router.
    for row_title, host in (("public client", alice_host), ("private client", private_host)):
        for cell in (c for c in matrix.cells if c.row.title == row_title and c.expected):
            assert cell.peers_seen == ({router} if cell.via_nat else {host.ip})


def test_nc_agrees_from_each_network(lab: ComposeLab, demo: Demo, alice_host: ClientHost,
                                     private_host: ClientHost) -> None:
    public = alice_host.sh(f"nc -w 3 {demo.public_ip} 9002 </dev/null")
    assert public.stdout.startswith(f"bind={demo.public_ip}:9002/tcp local={demo.public_ip}:9002 you={alice_host.ip}:")
    private = private_host.sh(f"nc -w 3 {demo.private_ip} 9003 </dev/null")
    assert private.stdout.startswith(f"bind=0.0.0.0:9003/tcp local={demo.private_ip}:9003 you={private_host.ip}:")
    # The same 0.0.0.0 listener, dialled on its public address: through the NAT router, seen as the router.
    natted = private_host.sh(f"nc -w 3 {demo.public_ip} 9003 </dev/null")
    router = lab.service_ip("router", "public")
    assert natted.stdout.startswith(f"bind=0.0.0.0:9003/tcp local={demo.public_ip}:9003 you={router}:")
    udp = alice_host.sh(f"echo hi | nc -u -w 2 {demo.public_ip} 9003")
    assert udp.stdout.startswith(f"bind=0.0.0.0:9003/udp local={demo.public_ip}:9003 you={alice_host.ip}:")


def test_every_host_sees_its_own_addresses(lab: ComposeLab, demo: Demo, alice_host: ClientHost,
                                           private_host: ClientHost) -> None:
    prefix = lab.settings.net_prefix
    public = alice_host.run("ip", "-4", "-o", "addr").stdout
    assert f"inet {alice_host.ip}/24" in public and alice_host.ip == f"{prefix}.1.50"
    assert f"{prefix}.2." not in public
    private = private_host.run("ip", "-4", "-o", "addr").stdout
    assert f"inet {prefix}.2.90/24" in private and f"{prefix}.1." not in private
    # bind-demo (no iproute2 in a service image) reports its interfaces with the stdlib reader.
    listing = lab.service_container("bind-demo").exec_run(
        ["python3", "-c", "from socketlab_common.interfaces import ipv4_interfaces as f; print(*f(), sep='\\n')"])
    text = listing.output.decode()
    assert f"{demo.public_ip}/24" in text and f"{demo.private_ip}/24" in text and "127.0.0.1/8" in text


class Listener:
    """`broadcast-listen` running on a host, its output lines readable with a deadline."""

    def __init__(self, host: ClientHost, *args: str) -> None:
        self.host = host
        self.process = host.popen("broadcast-listen", *args)
        self.lines: queue.Queue[str] = queue.Queue()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        for raw in self.process.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if text in line:
                return line
        raise AssertionError(f"{self.host.ip} never printed {text!r}")

    def finish(self, timeout: float = 15) -> tuple[int, list[str]]:
        code = self.process.wait(timeout)
        self.pump.join(timeout)  # every line read up to EOF
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return code, rest


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    started: list[Listener] = []
    yield started
    for listener in started:
        if listener.process.poll() is None:
            listener.process.kill()
            listener.process.wait()


@pytest.mark.parametrize("network", ["public", "private"])
def test_broadcast_reaches_exactly_the_hosts_of_its_subnet(network: str, lab: ComposeLab, listeners: list[Listener],
                                                          alice_host: ClientHost, bob_host: ClientHost,
                                                          carol_host: ClientHost, private_host: ClientHost,
                                                          private_host_2: ClientHost) -> None:
    port = "9999" if network == "public" else "9998"
    same, other = ([alice_host, bob_host], [private_host]) if network == "public" else \
                  ([private_host], [alice_host, bob_host])
    sender = carol_host if network == "public" else private_host_2
    # Hearers stop at their first datagram; the others give up at a deadline after the hearers are done.
    for host in same:
        listeners.append(Listener(host, "--port", port, "--count", "1", "--timeout", "20"))
    for host in other:
        listeners.append(Listener(host, "--port", port, "--count", "1", "--timeout", "8"))
    for listener in listeners:
        listener.wait_for("listening on 0.0.0.0")
    message = f"broadcast on {network} {time.monotonic_ns()}"
    sent = sender.run("broadcast-send", "--port", port, "--count", "3", message)
    subnet = 1 if network == "public" else 2
    assert sent.exit_code == 0, sent.output
    assert f"to {lab.settings.net_prefix}.{subnet}.255:{port} from {sender.ip}" in sent.stdout
    for listener in listeners[:len(same)]:
        assert listener.wait_for(message).startswith(f"from {sender.ip}:")
        assert listener.finish()[0] == 0
    # The other subnet's listeners were still listening when the hearers got it: their silence counts.
    assert all(listener.process.poll() is None for listener in listeners[len(same):])
    for listener in listeners[len(same):]:
        code, rest = listener.finish()
        assert code == 1 and not any(message in line for line in rest), rest
        assert "heard 0 datagram(s)" in rest[-1]


def test_broadcast_needs_so_broadcast(carol_host: ClientHost) -> None:
    refused = carol_host.run("broadcast-send", "--no-so-broadcast", "--port", "9997", "x")
    assert refused.exit_code == 1 and "Permission denied" in refused.stderr


def test_capture_records_the_handshake_and_the_four_way_close(lab: ComposeLab, tmp_path: Path,
                                                              alice_host: ClientHost) -> None:
    """`socketlab capture` on echo-epoll while a client host talks to it (notes 1.3.1)."""
    pcap = tmp_path / "echo.pcap"
    echo_ip = lab.service_ip("echo-epoll")
    with socketlab_capture(lab, "echo-epoll", pcap, "host", alice_host.ip, "and", "tcp", "port", "8888") as capture:
        talk = alice_host.sh(f"printf 'hello handshake\\n' | nc -N {echo_ip} 8888")
        assert talk.stdout == "hello handshake\n"
        deadline = time.monotonic() + 30
        while not closed_both_ways(_tcp_so_far(pcap)) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling a growing file for a condition, bounded by the deadline
    # Judged once the capture has ended, so that a failure shows tcpdump's own counts too.
    packets = _tcp_so_far(pcap)
    assert closed_both_ways(packets), ("the capture never showed a FIN in each direction",
                                       [str(p) for p in packets], capture.stderr)
    assert capture.process.returncode == 0, capture.stderr
    assert "four-way close seen: yes" in capture.stderr
    # Read it back with tcpdump itself on a client host: a real pcap, as Wireshark would open it.
    shown = alice_host.run("sh", "-c", "cat > /tmp/echo.pcap && tcpdump -nr /tmp/echo.pcap 2>/dev/null",
                           stdin=pcap.read_bytes())
    text = shown.stdout
    assert f"{alice_host.ip}." in text and f"{echo_ip}.8888" in text
    assert "Flags [S]," in text and "Flags [S.]," in text
    assert text.count("Flags [F.]") >= 2, text


def _tcp_so_far(pcap: Path) -> list:
    try:
        return read_capture(pcap.read_bytes()).tcp
    except (OSError, ValueError):  # not created yet, or the header not yet written
        return []


def test_check_command_prints_the_matrix_and_succeeds(lab: ComposeLab) -> None:
    result = subprocess.run([*CLI, "check"], capture_output=True, text=True, timeout=120,
                            env={**lab.settings.compose_env(), "COLUMNS": "160"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("✓") == 16 and "UNEXPECTED" not in result.stdout
    assert result.stdout.count(f"via NAT, seen as {lab.service_ip('router', 'public')}") == 2
    assert "every cell as declared" in result.stdout


def test_topology_and_ps_show_both_addresses_of_bind_demo(lab: ComposeLab, demo: Demo) -> None:
    env = {**lab.settings.compose_env(), "COLUMNS": "250"}
    tree = subprocess.run([*CLI, "topology"], capture_output=True, text=True, timeout=60, env=env).stdout
    assert f"{lab.settings.net_prefix}.2.0/24" in tree and "internal" in tree
    assert f"multi-homed: also private {demo.private_ip}" in tree
    chart = subprocess.run([*CLI, "topology", "--mermaid"], capture_output=True, text=True, timeout=60, env=env).stdout
    assert chart.startswith("flowchart LR") and f"public {demo.public_ip}" in chart
    ps = subprocess.run([*CLI, "ps"], capture_output=True, text=True, timeout=60, env=env).stdout
    assert demo.public_ip in ps and demo.private_ip in ps and "9001–9003/tcp+udp" in ps


def test_client_shell_on_the_private_network(lab: ComposeLab, demo: Demo) -> None:
    script = "ip -4 -o addr show eth0\nnc -w 3 bind-demo 9003 </dev/null\necho done\n"
    result = subprocess.run([*CLI, "client", "shell", "--network", "private"], input=script, capture_output=True,
                            text=True, timeout=120, env=lab.settings.compose_env())
    assert result.returncode == 0, result.stderr
    assert f"inet {lab.settings.net_prefix}.2." in result.stdout
    assert f"bind=0.0.0.0:9003/tcp local={demo.private_ip}:9003" in result.stdout
    assert result.stdout.rstrip().endswith("done")
    assert "on the private network" in result.stderr
