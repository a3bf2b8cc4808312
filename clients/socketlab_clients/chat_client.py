"""The notes' chat room client (section 2.2.5), with a receiver thread, heartbeats and a scripted mode.

Interactive, as in the notes (a tty on stdin)::

    $ chat                      # the room at host `chat`, port 8000
    Name:alice
    进入聊天室
    发言:hello                   # the others see "alice : hello"
    bob : hi alice              # printed at once, above the line being typed
    发言:quit                    # leave (Q); the others see "alice 退出了聊天室"

Scripted, for scripts and tests (any stdin that is not a tty, or ``--script``)::

    $ printf 'hello\\nbye\\n' | chat --name alice --script --until "bob : hi" --listen 10

Every datagram received (except heartbeat answers) is printed raw on stdout,
one line each and flushed at once; the client's own remarks go to stderr.
Without ``--name`` the first stdin line is the name, and the next one is tried
if it is taken. Each further line is said (``quit`` leaves). At the end of
stdin the client keeps listening up to ``--listen`` seconds, or until every
``--until`` text has been seen, then quits with ``Q`` (unless ``--no-quit``).
Exit status: 0 done, 1 an ``--until`` text never came, 2 no login.

The notes' client forks a receiver *process* after login; here a receiver
thread does the same job (one socket, shared), and a heartbeat thread sends
``H name`` every quarter of the timeout the server announced at login, so an
idle member is not dropped. If the server answers a heartbeat with "not
logged in" (it timed us out, or restarted), the client logs in again.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator

from socketlab_common.wire import chat

from .interactive import exit_with

LOGIN_TRIES = 3
REPLY_WAIT = 1.0
DEFAULT_HEARTBEAT = 10.0


def classify(data: bytes) -> tuple[str | None, str]:
    """(keyword, detail) for a reply, (None, line) for a notice to show."""
    parsed = chat.parse_server_datagram(data)
    if isinstance(parsed, chat.Reply):
        return parsed.keyword, parsed.detail
    return None, parsed.text


class Display:
    """Prints incoming lines without garbling the line the user is typing.

    With readline (interactive mode), an incoming line erases the prompt line,
    prints itself, and redraws the prompt with what was typed so far: the user
    keeps typing where they were. Without it (scripts) lines are just printed.
    """

    def __init__(self, interactive: bool) -> None:
        self.lock = threading.Lock()
        self.prompt = ""
        self.readline = None
        if interactive:
            try:
                import readline
            except ImportError:
                pass
            else:
                self.readline = readline

    def show(self, line: str) -> None:
        with self.lock:
            if self.readline is not None and self.prompt:
                typed = self.readline.get_line_buffer()
                sys.stdout.write(f"\r\x1b[K{line}\n{self.prompt}{typed}")
            else:
                sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def remark(self, line: str, interactive: bool) -> None:
        """The client's own messages: on the screen when interactive, on stderr for scripts."""
        if interactive:
            self.show(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def ask(self, prompt: str) -> str:
        self.prompt = prompt
        try:
            return input(prompt)
        finally:
            self.prompt = ""


class ChatClient:
    def __init__(self, server: tuple[str, int], display: Display, interactive: bool,
                 heartbeat: float | None) -> None:
        self.server = server
        self.display = display
        self.interactive = interactive
        self.heartbeat_override = heartbeat
        self.heartbeat = heartbeat or DEFAULT_HEARTBEAT
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.name = ""
        self.stop = threading.Event()
        self.quit_acked = threading.Event()
        self.seen: list[str] = []
        self.seen_changed = threading.Condition()
        self.threads: list[threading.Thread] = []

    # -- login: before the receiver starts, replies are read here (as in the notes) ----------

    def login(self, name: str) -> tuple[bool, str]:
        """Try `name`; (True, "") on OK, (False, reason) on Fail or silence."""
        self.sock.settimeout(REPLY_WAIT)
        for _ in range(LOGIN_TRIES):  # UDP may lose the request or the answer; L is idempotent
            self.sock.sendto(chat.encode_request(chat.Login(name)), self.server)
            deadline = time.monotonic() + REPLY_WAIT
            while (left := deadline - time.monotonic()) > 0:
                self.sock.settimeout(left)
                try:
                    data, _ = self.sock.recvfrom(chat.RECV_BUFFER)
                except TimeoutError:
                    break
                except ConnectionRefusedError:
                    return False, "nothing listens at the server's port"
                keyword, detail = classify(data)
                if keyword == "OK":
                    self.name = name
                    timeout = chat.login_timeout(chat.Reply(keyword, detail))
                    if self.heartbeat_override is None and timeout:
                        self.heartbeat = timeout / 4
                    return True, ""
                if keyword in ("Fail", "ERR"):
                    return False, detail
        return False, "no answer from the server"

    # -- after login: a receiver thread and a heartbeat thread ------------------------------

    def start(self) -> None:
        self.sock.settimeout(0.2)
        for target in (self._receive, self._beat):
            thread = threading.Thread(target=target, daemon=True, name=target.__name__)
            thread.start()
            self.threads.append(thread)

    def say(self, text: str) -> None:
        self.sock.sendto(chat.encode_request(chat.Chat(self.name, text)), self.server)

    def quit(self) -> bool:
        """Send Q until the server acknowledges it (or give up after a few tries)."""
        for _ in range(LOGIN_TRIES):
            self.sock.sendto(chat.encode_request(chat.Quit(self.name)), self.server)
            if self.quit_acked.wait(REPLY_WAIT):
                return True
        return False

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(1)
        self.sock.close()

    def wait_for(self, texts: list[str], timeout: float) -> bool:
        """Block until every text has appeared in some received line, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        with self.seen_changed:
            while not all(any(t in line for line in self.seen) for t in texts):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.seen_changed.wait(left)
        return True

    def _receive(self) -> None:
        while not self.stop.is_set():
            try:
                data, addr = self.sock.recvfrom(chat.RECV_BUFFER)
            except TimeoutError:
                continue
            except OSError:  # ICMP port unreachable (server down) or socket closed
                if self.stop.wait(0.2):
                    return
                continue
            if addr[:2] != self.server:
                continue  # only the server speaks for the room
            keyword, detail = classify(data)
            if keyword == "PONG":
                continue
            if keyword == "OK" and not detail:
                self.quit_acked.set()
                continue
            if keyword == "ERR" and detail.startswith("not logged in as"):
                self.display.remark("(服务器已将您移出聊天室，正在重新进入 / dropped by the server: logging in again)",
                                    self.interactive)
                self.sock.sendto(chat.encode_request(chat.Login(self.name)), self.server)
                continue
            if keyword == "OK":
                continue  # a late answer to a retransmitted L
            line = data.decode("utf-8", "replace")
            if keyword is not None and self.interactive:
                line = f"(服务器: {line})"
            self.display.show(line)
            with self.seen_changed:
                self.seen.append(line)
                self.seen_changed.notify_all()

    def _beat(self) -> None:
        while not self.stop.wait(self.heartbeat):
            with contextlib.suppress(OSError):
                self.sock.sendto(chat.encode_request(chat.Heartbeat(self.name)), self.server)


def input_lines(display: Display, interactive: bool, prompt: str) -> Iterator[str]:
    """Lines from the user (with a prompt) or from stdin (without), until EOF."""
    while True:
        try:
            line = display.ask(prompt) if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            return
        if not interactive:
            if not line:
                return
            line = line.rstrip("\r\n")
        yield line


def resolve(host: str, port: int) -> tuple[str, int]:
    return socket.gethostbyname(host), port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chat", description="the chat room client (notes 2.2.5)",
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host", nargs="?", default=os.environ.get("CHAT_HOST", "chat"))
    parser.add_argument("port", nargs="?", type=int, default=int(os.environ.get("CHAT_PORT", "8000")))
    parser.add_argument("--name", help="log in with this name (default: ask, or the first stdin line)")
    parser.add_argument("--script", action="store_true", help="scripted mode even on a tty")
    parser.add_argument("--say", action="append", default=[], help="a line to say after login (repeatable)")
    parser.add_argument("--listen", type=float, default=None,
                        help="scripted: seconds to keep listening after the last line (default 0, or 10 with --until)")
    parser.add_argument("--until", action="append", default=[],
                        help="scripted: stop listening once a received line contains this text (repeatable: all)")
    parser.add_argument("--heartbeat", type=float, default=None,
                        help="seconds between heartbeats (default: a quarter of the server's timeout)")
    parser.add_argument("--no-quit", action="store_true", help="scripted: leave without Q (the server times us out)")
    args = parser.parse_args(argv)

    interactive = sys.stdin.isatty() and not args.script
    display = Display(interactive)
    try:
        server = resolve(args.host, args.port)
    except OSError as exc:
        print(f"chat: cannot resolve {args.host}: {exc}", file=sys.stderr)
        return 2
    client = ChatClient(server, display, interactive, args.heartbeat)
    lines = input_lines(display, interactive, "发言:")
    if not _log_in(client, display, interactive, args.name, input_lines(display, interactive, "Name:")):
        client.close()
        return 2
    client.start()
    try:
        status = _converse(client, display, interactive, args, lines)
    except KeyboardInterrupt:
        status = 0
    if not args.no_quit:
        client.quit()
        display.remark("您已退出聊天室", interactive)
    client.close()
    return status


# The server refuses in English (the protocol's words); the learner reads Chinese first, then English.
REFUSALS_ZH = {
    "name taken": "该用户已存在",
    "empty name": "名字不能为空",
    "name longer than": f"名字太长（最多 {chat.MAX_NAME_CHARS} 个字符）",
    "name contains a space": "名字不能含空格或控制字符",
    "name '": "这个名字是保留的",
    "this address is already in the room": "这个地址已经在聊天室里了",
    "room is full": "聊天室已满",
    "too many members from": "这台主机上的成员太多",
    "nothing listens": "服务器的端口没有程序在监听",
    "no answer from the server": "服务器没有回答",
}
FATAL = ("nothing listens", "no answer from the server", "room is full", "too many members from",
         "this address is already in the room")


def refusal_lines(reason: str) -> list[str]:
    """A refused login in two lines, one language each: Chinese, then the server's English."""
    chinese = next((zh for prefix, zh in REFUSALS_ZH.items() if reason.startswith(prefix)), "登录失败")
    english = reason.removesuffix(" 该用户已存在").strip()
    return [f"登录失败：{chinese}", f"login refused: {english}"]


def _log_in(client: ChatClient, display: Display, interactive: bool, name: str | None,
            names: Iterator[str]) -> bool:
    """Log in as --name or the names typed; a refused name is asked again (interactive) or ends the client."""
    candidates: Iterator[str] = itertools.chain([name] if name else [], names if interactive or not name else [])
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate:
            continue
        ok, reason = client.login(candidate)
        if ok:
            display.remark("进入聊天室", interactive)
            return True
        for line in refusal_lines(reason):
            display.remark(line, interactive)
        if reason.startswith(FATAL):
            return False
        if interactive:
            display.remark("请换一个名字 / choose another name", interactive)
    return False


def _converse(client: ChatClient, display: Display, interactive: bool, args: argparse.Namespace,
              lines: Iterator[str]) -> int:
    """Say the lines, then (scripted) listen; return the exit status."""
    for text in args.say:
        client.say(text)
    for line in lines:
        if line == "quit":
            return 0
        if len(line.encode()) > chat.MAX_TEXT_BYTES:
            display.remark(f"消息太长，没有发送（最多 {chat.MAX_TEXT_BYTES} 字节，这条 {len(line.encode())} 字节）",
                           interactive)
            display.remark(f"message too long, not sent: at most {chat.MAX_TEXT_BYTES} bytes of UTF-8 "
                           f"(this one is {len(line.encode())})", interactive)
        elif line:
            client.say(line)
    if interactive:
        return 0
    listen = args.listen if args.listen is not None else (10.0 if args.until else 0.0)
    if args.until:
        return 0 if client.wait_for(args.until, listen) else 1
    client.stop.wait(listen)
    return 0


if __name__ == "__main__":
    exit_with(main)
