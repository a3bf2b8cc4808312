"""The chat room (notes 2.2.5) from three client hosts on distinct IPs: alice, bob and 小明.

Each member is the real `chat` client in scripted mode, running on its own
client container; its stdout (every datagram it received) is read line by
line. "Nobody received X" is checked with a sentinel: the server handles
datagrams in arrival order, so once a later sentinel has reached everyone, an
earlier X would have reached them too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from socketlab.hosts import ClientHost

from .lab import ComposeLab

# The lab fixture starts the stack once per session, after collection: a short liveness
# timeout (the default is 30 s) lets the vanished-client test finish in seconds.
TIMEOUT = 5.0
os.environ.setdefault("SOCKETLAB_CHAT_TIMEOUT", f"{TIMEOUT:g}")

WAIT = 20.0


def wait_until(condition: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Member:
    """A `chat --script` client running on a client host; collects what it receives."""

    def __init__(self, host: ClientHost, name: str) -> None:
        self.host = host
        self.name = name
        self.proc = host.popen("chat", "--name", name, "--script")
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    def _pump(self, stream, sink: list[str]) -> None:
        for raw in stream:
            with self._lock:
                sink.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def received(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def saw(self, line: str) -> bool:
        return line in self.received()

    def wait_for(self, line: str, timeout: float = WAIT) -> None:
        wait_until(lambda: self.saw(line), timeout, f"{self.name} to receive {line!r} (got {self.received()})")

    def say(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def leave(self) -> int:
        """End of input: the client sends Q and exits."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=WAIT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def admin(lab: ComposeLab, *argv: str) -> str:
    result = lab.service_container("chat").exec_run(["chat-admin", *argv])
    assert result.exit_code == 0, result.output
    return result.output.decode()


def who(lab: ComposeLab) -> list[str]:
    return [line.split()[0] for line in admin(lab, "--who").splitlines() if line.strip()]


def datagram(host: ClientHost, payload: bytes, port: int = 8000, wait: float = 2.0) -> str:
    """Send one raw datagram from `host` to the chat server; return the reply ('' if none)."""
    script = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(float(sys.argv[2]))\n"
        "s.sendto(bytes.fromhex(sys.argv[1]),('chat',int(sys.argv[3])))\n"
        "try: print(s.recvfrom(4096)[0].decode('utf-8','replace'))\n"
        "except OSError: print('')\n"
    )
    result = host.run("python3", "-c", script, payload.hex(), str(wait), str(port))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def hosts(lab: ComposeLab) -> dict[str, ClientHost]:
    names = {"alice": 70, "bob": 71, "小明": 72, "other": 73}
    return {name: lab.client_host(host_number=number) for name, number in names.items()}


@pytest.fixture(scope="module")
def room(lab: ComposeLab, hosts: dict[str, ClientHost]) -> Iterator[dict[str, Member]]:
    members: dict[str, Member] = {}
    try:
        for name in ("alice", "bob", "小明"):  # one by one, so the join notices have an order
            members[name] = Member(hosts[name], name)
            wait_until(lambda name=name: name in who(lab), what=f"{name} to be in the room")
        yield members
    finally:
        for member in members.values():
            member.kill()


def everyone_got_sentinel(room: dict[str, Member], sender: str = "bob") -> None:
    """A line from `sender` reaching the others: everything sent before it has been delivered."""
    text = f"sentinel {uuid.uuid4().hex[:8]}"
    room[sender].say(text)
    for name, member in room.items():
        if name != sender:
            member.wait_for(f"{sender} : {text}")


def test_each_member_sees_the_others_join(room: dict[str, Member], hosts: dict[str, ClientHost]) -> None:
    room["alice"].wait_for("bob 进入了聊天室")
    room["alice"].wait_for("小明 进入了聊天室")
    room["bob"].wait_for("小明 进入了聊天室")
    assert len({h.ip for h in hosts.values()}) == 4  # distinct hosts, distinct addresses


def test_message_reaches_exactly_the_other_two(room: dict[str, Member]) -> None:
    text = f"大家好 hello {uuid.uuid4().hex[:8]}"
    room["小明"].say(text)
    room["alice"].wait_for(f"小明 : {text}")
    room["bob"].wait_for(f"小明 : {text}")
    everyone_got_sentinel(room, sender="alice")
    assert not room["小明"].saw(f"小明 : {text}")
    assert [m.received().count(f"小明 : {text}") for m in (room["alice"], room["bob"])] == [1, 1]


def test_messages_from_one_sender_arrive_in_order(room: dict[str, Member]) -> None:
    tag = uuid.uuid4().hex[:6]
    for i in range(20):
        room["alice"].say(f"{tag} {i}")
    room["bob"].wait_for(f"alice : {tag} 19")
    got = [line for line in room["bob"].received() if line.startswith(f"alice : {tag} ")]
    assert got == [f"alice : {tag} {i}" for i in range(20)]


def test_duplicate_name_is_refused(room: dict[str, Member], hosts: dict[str, ClientHost]) -> None:
    result = hosts["other"].run("chat", "--name", "bob", "--script")
    assert result.exit_code == 2, result.output
    assert "该用户已存在" in result.stderr
    assert datagram(hosts["other"], b"L bob") == "Fail name taken: bob 该用户已存在"


def test_spoofed_chat_reaches_no_one(lab: ComposeLab, room: dict[str, Member], hosts: dict[str, ClientHost]) -> None:
    forged = f"I am alice, send me your password {uuid.uuid4().hex[:6]}"
    assert datagram(hosts["other"], f"C alice {forged}".encode()) == "ERR not logged in: send L name first"
    # A member's own host, another port: another address, so not alice either.
    assert datagram(hosts["bob"], f"C alice {forged}".encode()) == "ERR not logged in: send L name first"
    everyone_got_sentinel(room)
    for member in room.values():
        assert not member.saw(f"alice : {forged}")
    logs = lab.service_container("chat").logs().decode()
    assert "spoof: C request from " + hosts["other"].ip in logs


def test_bad_datagrams_get_errors_and_the_room_keeps_serving(room: dict[str, Member],
                                                            hosts: dict[str, ClientHost]) -> None:
    other = hosts["other"]
    assert datagram(other, b"\xff\xfe") == "ERR datagram is not valid UTF-8"
    assert datagram(other, b"X hello").startswith("ERR unknown request")
    assert datagram(other, b"C alice " + b"x" * 3000).startswith("ERR datagram too large")
    assert datagram(other, b"L " + "名".encode() * 40) == "ERR name longer than 32 characters"
    assert datagram(other, b"H") == "PONG"
    everyone_got_sentinel(room)


def test_admin_announcement_reaches_all_members(lab: ComposeLab, room: dict[str, Member]) -> None:
    text = f"今晚八点维护 {uuid.uuid4().hex[:6]}"
    assert "announced to 3 members" in admin(lab, text)
    for member in room.values():
        member.wait_for(f"管理员消息: {text}")


def test_admin_channel_is_not_reachable_from_the_lab_network(lab: ComposeLab, room: dict[str, Member],
                                                             hosts: dict[str, ClientHost]) -> None:
    """The admin socket is bound to 127.0.0.1 in the chat container: a lab host gets no answer."""
    text = f"fake announcement {uuid.uuid4().hex[:6]}"
    assert datagram(hosts["other"], f"A {text}".encode(), port=8001, wait=1.0) == ""
    everyone_got_sentinel(room)
    assert not any(m.saw(f"管理员消息: {text}") for m in room.values())


def test_killed_client_leaves_after_the_timeout(lab: ComposeLab, room: dict[str, Member]) -> None:
    dave_host = lab.client_host(host_number=74)
    dave = Member(dave_host, "dave")
    try:
        for member in room.values():
            member.wait_for("dave 进入了聊天室")
        dave_host.container.kill()  # the host vanishes: no Q is ever sent
        start = time.monotonic()
        for member in room.values():
            member.wait_for("dave 退出了聊天室 (timeout)", timeout=TIMEOUT + WAIT)
        assert time.monotonic() - start >= TIMEOUT * 0.5
        # Idle members stayed in meanwhile: their heartbeats kept them alive.
        assert sorted(who(lab)) == sorted(["alice", "bob", "小明"])
    finally:
        dave.kill()
        dave_host.stop()


def test_quit_tells_the_others_and_frees_the_name(room: dict[str, Member], hosts: dict[str, ClientHost]) -> None:
    eves = [Member(hosts["other"], "eve")]
    try:
        room["alice"].wait_for("eve 进入了聊天室")
        assert eves[0].leave() == 0
        for member in room.values():
            member.wait_for("eve 退出了聊天室")
        eves.append(Member(hosts["other"], "eve"))  # the name is free again
        wait_until(lambda: room["bob"].received().count("eve 进入了聊天室") == 2, what="eve to join again")
        assert eves[1].leave() == 0
    finally:
        for eve in eves:
            eve.kill()


def test_socketlab_client_runs_the_chat_client_on_a_fresh_host(lab: ComposeLab, room: dict[str, Member]) -> None:
    """`socketlab client chat ...`: the CLI's own way in, a new client host with an assigned address."""
    text = f"hi from carol {uuid.uuid4().hex[:6]}"
    proc = subprocess.run(
        [sys.executable, "-m", "socketlab.cli", "client", "chat", "--name", "carol", "--script", "--say", text],
        env=lab.settings.compose_env(), stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    for member in room.values():
        member.wait_for(f"carol : {text}")
        member.wait_for("carol 退出了聊天室")


def test_published_port_answers_from_the_host(lab: ComposeLab) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(b"H", ("127.0.0.1", lab.settings.host_port(0)))
        assert sock.recvfrom(100)[0] == b"PONG"


STORM = """
import socket, sys, time
room = (socket.gethostbyname("chat"), 8000)   # resolved once: a lookup per datagram would slow the storm down
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"L stormer", room)
assert s.recvfrom(4096)[0].startswith(b"OK")
start = time.monotonic()
for i in range(3000):
    s.sendto(f"C stormer line {i}".encode(), room)
print("sent in", round(time.monotonic() - start, 3), file=sys.stderr)
s.settimeout(0.5)
replies = []
try:
    while True:
        replies.append(s.recvfrom(4096)[0].decode())
except OSError:
    pass
print(sum(r.startswith("ERR slow down") for r in replies))
s.sendto(b"Q stormer", room)
"""


def test_one_members_storm_is_cut_to_its_rate(lab: ComposeLab, room: dict[str, Member],
                                              hosts: dict[str, ClientHost]) -> None:
    """3,000 lines at once from one member: the room relays a burst, not the storm, and says so once."""
    result = hosts["other"].run("python3", "-c", STORM)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1", result.output  # told to slow down once, not 2,960 times
    seconds = float(result.stderr.split("sent in")[1])
    everyone_got_sentinel(room, sender="alice")
    relayed = [line for line in room["bob"].received() if line.startswith("stormer : line ")]
    # The burst (40) and what the rate (10/s) refilled while the storm lasted: far from 3,000.
    assert 0 < len(relayed) <= 40 + 10 * seconds + 2, (len(relayed), seconds)
    assert "throttled: stormer" in lab.service_container("chat").logs().decode()


SEATS = """
import socket
room = (socket.gethostbyname("chat"), 8000)
socks, answers = [], []
for i in range(20):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(f"L seat{i}".encode(), room)
    answers.append(s.recvfrom(4096)[0].decode())
    socks.append(s)
print(sum(a.startswith("OK") for a in answers))
print([a for a in answers if not a.startswith("OK")][0])
for i, s in enumerate(socks):
    s.sendto(f"Q seat{i}".encode(), room)
"""


def test_one_host_cannot_take_every_seat(room: dict[str, Member], hosts: dict[str, ClientHost]) -> None:
    result = hosts["other"].run("python3", "-c", SEATS)
    assert result.exit_code == 0, result.output
    taken, refusal = result.stdout.strip().split("\n")
    assert taken == "16"
    assert refusal == f"Fail too many members from {hosts['other'].ip} (16)"
    everyone_got_sentinel(room)


def test_members_stayed_in_the_room_throughout(lab: ComposeLab, room: dict[str, Member]) -> None:
    for member in room.values():
        assert member.proc.poll() is None, f"{member.name} exited early: {member.errors}"
    assert sorted(who(lab)) == sorted(room)
