"""The FTP service from client hosts on their own IPs: ftplib, lftp and curl, passive and active.

Files are generated inside the client containers (``head -c N /dev/urandom``)
and compared by sha256 after a round trip through the server.
"""

from __future__ import annotations

import ftplib
import io
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from socketlab.hosts import ClientHost, ExecResult

from .lab import ComposeLab

USER, PASSWORD = "student", "socketlab"

# Read when the session's stack starts (after collection): failed logins wait this long here (1 s by default).
LOGIN_DELAY = 0.5
os.environ.setdefault("SOCKETLAB_FTP_LOGIN_DELAY", f"{LOGIN_DELAY:g}")
MIB = 1 << 20
LIBRARY = "/srv/ftp"


def ok(result: ExecResult) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def ftp_ip(lab: ComposeLab) -> str:
    return lab.service_ip("ftp")


def library(lab: ComposeLab, *argv: str) -> str:
    """Run a command inside the ftp container (to look at the library directly)."""
    code, output = lab.service_container("ftp").exec_run(list(argv))
    assert code == 0, output
    return output.decode()


def make_file(host: ClientHost, path: str, size: int) -> str:
    """Create `size` random bytes at `path` on `host`; return their sha256."""
    return ok(host.sh(f"head -c {size} /dev/urandom > {path} && sha256sum {path} | cut -d' ' -f1")).strip()


def sha(host: ClientHost, path: str) -> str:
    return ok(host.sh(f"sha256sum {path} | cut -d' ' -f1")).strip()


# Upload and download commands for each real client; {ip} {src} {name} {dst} are filled in.
TOOLS = {
    "ftplib": ("ftp-client {ip} put {src} --as {name} --user student --password socketlab --no-progress {mode}",
               "ftp-client {ip} get {name} -o {dst} --user student --password socketlab --no-progress {mode}",
               "ftp-client {ip} list --user student --password socketlab {mode}"),
    "lftp": ("lftp -u student,socketlab -e 'set ftp:ssl-allow no; set ftp:passive-mode {lftp_passive}; "
             "put {src} -o {name}; bye' {ip}",
             "lftp -u student,socketlab -e 'set ftp:ssl-allow no; set ftp:passive-mode {lftp_passive}; "
             "get {name} -o {dst}; bye' {ip}",
             "lftp -u student,socketlab -e 'set ftp:ssl-allow no; set ftp:passive-mode {lftp_passive}; "
             "ls; bye' {ip}"),
    "curl": ("curl -sS --fail {curl_mode} -T {src} ftp://student:socketlab@{ip}/{name}",
             "curl -sS --fail {curl_mode} -o {dst} ftp://student:socketlab@{ip}/{name}",
             "curl -sS --fail {curl_mode} ftp://student:socketlab@{ip}/"),
}


def tool_commands(tool: str, ip: str, passive: bool, **names: str) -> tuple[str, str, str]:
    fill = {"ip": ip, "mode": "" if passive else "--active", "lftp_passive": "on" if passive else "off",
            "curl_mode": "" if passive else "-P -", **names}
    return tuple(template.format(**fill) for template in TOOLS[tool])  # type: ignore[return-value]


def round_trip(host: ClientHost, ip: str, tool: str, size: int, passive: bool = True) -> None:
    name = f"{tool}-{'pasv' if passive else 'port'}-{host.ip.replace('.', '_')}-{size}.bin"
    src, dst = f"/tmp/src-{name}", f"/tmp/dst-{name}"
    digest = make_file(host, src, size)
    put, get, listing = tool_commands(tool, ip, passive, src=src, dst=dst, name=name)
    ok(host.sh(put, timeout=300))
    ok(host.sh(f"rm -f {dst}; {get}", timeout=300))
    assert sha(host, dst) == digest, f"{tool} {size} bytes: sha256 differs"
    assert name in ok(host.sh(listing))
    ok(host.sh(f"rm -f {src} {dst}"))


@pytest.mark.parametrize("size", [0, 1, MIB])
@pytest.mark.parametrize("tool", list(TOOLS))
def test_each_client_round_trips_from_two_hosts(tool: str, size: int, ftp_ip: str, alice_host: ClientHost,
                                                bob_host: ClientHost) -> None:
    with ThreadPoolExecutor(2) as pool:
        for job in [pool.submit(round_trip, host, ftp_ip, tool, size) for host in (alice_host, bob_host)]:
            job.result()


@pytest.mark.parametrize("tool", list(TOOLS))
def test_active_mode_from_a_client_container(tool: str, ftp_ip: str, bob_host: ClientHost) -> None:
    round_trip(bob_host, ftp_ip, tool, MIB + 3, passive=False)


def test_two_hundred_mebibytes_round_trip_once(ftp_ip: str, alice_host: ClientHost, lab: ComposeLab) -> None:
    round_trip(alice_host, ftp_ip, "ftplib", 200 * MIB)
    logs = lab.service_container("ftp").logs().decode()
    assert f"transfer RETR /ftplib-pasv-{alice_host.ip.replace('.', '_')}-{200 * MIB}.bin ok bytes={200 * MIB}" in logs


CONCURRENT_JOB = """
set -e
i={i}
src=/tmp/c-$i; dst=/tmp/d-$i; name=conc-{tag}-$i.bin
head -c $((1048576 + i * 4099)) /dev/urandom > $src
if [ $((i % 2)) -eq 0 ]; then
  ftp-client {ip} put $src --as $name --user student --password socketlab --no-progress >/dev/null
  ftp-client {ip} get $name -o $dst --user student --password socketlab --no-progress >/dev/null
else
  curl -sS --fail -T $src ftp://student:socketlab@{ip}/$name
  curl -sS --fail -o $dst ftp://student:socketlab@{ip}/$name
fi
[ "$(sha256sum < $src)" = "$(sha256sum < $dst)" ] && echo "intact $i"
"""


def test_twenty_clients_from_two_hosts_at_once(ftp_ip: str, alice_host: ClientHost, bob_host: ClientHost,
                                               lab: ComposeLab) -> None:
    def host_jobs(host: ClientHost, tag: str) -> str:
        jobs = " ".join(f"( {CONCURRENT_JOB.format(i=i, ip=ftp_ip, tag=tag)} ) &" for i in range(10))
        return ok(host.sh(f"{jobs} wait", timeout=300))

    with ThreadPoolExecutor(2) as pool:
        outputs = [pool.submit(host_jobs, host, tag) for host, tag in ((alice_host, "a"), (bob_host, "b"))]
        results = [job.result() for job in outputs]
    for output in results:
        assert sorted(output.split("\n")[:-1]) == sorted(f"intact {i}" for i in range(10)), output
    sizes = library(lab, "sh", "-c", f"cd {LIBRARY} && for f in conc-*; do stat -c '%n %s' $f; done").split("\n")
    assert len([line for line in sizes if line]) == 20


DISCONNECT_MIDWAY = """
import ftplib, os
f = ftplib.FTP("{ip}", timeout=10)
f.login("student", "socketlab")
conn = f.transfercmd("STOR killed.bin")
conn.sendall(os.urandom(4 << 20))   # half of an 8 MiB file ...
f.close()                           # ... then the client goes away: control connection first,
conn.close()                        # then the data connection, as a dying process closes them
print("disconnected")
"""


def test_upload_cut_off_halfway_leaves_no_file_and_the_server_keeps_serving(ftp_ip: str, alice_host: ClientHost,
                                                                            lab: ComposeLab) -> None:
    assert "disconnected" in ok(alice_host.run("python3", "-c", DISCONNECT_MIDWAY.format(ip=ftp_ip)))
    wait_until(lambda: "transfer STOR /killed.bin" in lab.service_container("ftp").logs().decode(),
               what="the server to end the upload")
    logs = lab.service_container("ftp").logs().decode()
    assert "transfer STOR /killed.bin FAILED" in logs
    listing = library(lab, "ls", "-a", LIBRARY)
    assert "killed.bin" not in listing and ".ftp-upload-" not in listing
    assert "README.txt" in ok(alice_host.sh(f"curl -sS --fail ftp://{ftp_ip}/"))


def test_killed_curl_upload_leaves_no_temp_file_and_the_server_serves(ftp_ip: str, bob_host: ClientHost,
                                                                    lab: ComposeLab) -> None:
    """kill -9 of a slow `curl -T` mid-upload."""
    make_file(bob_host, "/tmp/killme.bin", 50 * MIB)
    curl = bob_host.popen("sh", "-c", "curl -sS --limit-rate 2M -T /tmp/killme.bin "
                          f"ftp://student:socketlab@{ftp_ip}/killed-curl.bin & echo $! > /tmp/curl.pid; wait")
    try:
        wait_until(lambda: ".ftp-upload-" in library(lab, "ls", "-a", LIBRARY), what="the upload to start")
        ok(bob_host.sh("kill -9 $(cat /tmp/curl.pid)"))
        curl.wait(30)
    finally:
        if curl.poll() is None:
            curl.kill()
        for stream in (curl.stdin, curl.stdout, curl.stderr):
            stream.close()
    wait_until(lambda: "transfer STOR /killed-curl.bin" in lab.service_container("ftp").logs().decode(),
               what="the server to end the upload")
    assert ".ftp-upload-" not in library(lab, "ls", "-a", LIBRARY)
    # Usually the server sees the control connection close and drops the upload. A killed process
    # closes its sockets one by one, though: if the data connection's FIN comes first and the control
    # connection's more than EOF_GRACE later (a loaded machine), that upload is indistinguishable from a
    # finished one (see services/ftp/README.md), so its presence is not asserted either way here.
    assert "README.txt" in ok(bob_host.sh(f"curl -sS --fail ftp://{ftp_ip}/"))


TRAVERSAL = """
import ftplib
f = ftplib.FTP("{ip}", timeout=10)
f.login("student", "socketlab")
for cmd in ["RETR ../../etc/passwd", "CWD /../..", "RETR /etc/passwd", "CWD /etc", "RETR etc-link/passwd",
            "CWD etc-link", "SIZE etc-link/passwd", "RETR pub/../../../etc/shadow", "LIST ../.."]:
    f.sendcmd("EPSV")
    try:
        print(cmd, "->", f.sendcmd(cmd)[:3])
    except ftplib.Error as exc:
        print(cmd, "->", str(exc)[:3])
"""


def test_traversal_attempts_get_550(ftp_ip: str, alice_host: ClientHost, lab: ComposeLab) -> None:
    library(lab, "ln", "-sfn", "/etc", f"{LIBRARY}/etc-link")
    try:
        output = ok(alice_host.run("python3", "-c", TRAVERSAL.format(ip=ftp_ip)))
    finally:
        library(lab, "rm", "-f", f"{LIBRARY}/etc-link")
    lines = output.strip().split("\n")
    assert len(lines) == 9
    assert all(line.endswith("-> 550") for line in lines), output


def test_anonymous_reads_but_upload_is_refused(ftp_ip: str, bob_host: ClientHost) -> None:
    assert "README.txt" in ok(bob_host.run("ftp-client", ftp_ip, "list"))
    ok(bob_host.sh("head -c 100 /dev/urandom > /tmp/anon.bin"))
    refused = bob_host.run("ftp-client", ftp_ip, "put", "/tmp/anon.bin")
    assert refused.exit_code == 1 and "550" in refused.stderr, refused.output
    curl = bob_host.sh(f"curl -sS -T /tmp/anon.bin ftp://{ftp_ip}/pub/anon.bin")
    assert curl.exit_code != 0 and "550" in curl.stderr, curl.output


def test_refused_login_and_missing_file_are_clear_errors(ftp_ip: str, alice_host: ClientHost) -> None:
    bad = alice_host.run("ftp-client", ftp_ip, "list", "--user", "student", "--password", "wrong")
    assert bad.exit_code == 1 and "login refused" in bad.stderr
    missing = alice_host.run("ftp-client", ftp_ip, "get", "no-such-file.txt")
    assert missing.exit_code == 1 and "no such file on the server" in missing.stderr


def test_the_notes_interactive_client(ftp_ip: str, alice_host: ClientHost) -> None:
    ok(alice_host.sh("printf 'typed by hand\\n' > /tmp/notes-upload.txt"))
    session = alice_host.run("sh", "-c", f"cd /tmp && ftp-client {ftp_ip} --user student --password socketlab",
                             stdin="help\nlist\ncd pub\nget notes.txt\nput /tmp/notes-upload.txt\nlist\nquit\n")
    out = ok(session)
    assert "get NAME" in out and "README.txt" in out
    assert "now in /pub" in out and "downloaded notes.txt" in out and "uploaded /tmp/notes-upload.txt" in out
    assert "notes-upload.txt" in out.split("uploaded")[1]
    assert "3.1.2" in ok(alice_host.sh("cat /tmp/notes.txt"))


def test_host_clients_use_the_published_ports(lab: ComposeLab) -> None:
    """From the host, through docker's published ports: PASV must advertise a host-reachable address."""
    with ftplib.FTP() as client:
        client.connect(lab.settings.publish_ip, lab.settings.host_port(21), timeout=10)
        client.login()
        reply = client.sendcmd("PASV")
        assert "(127,0,0,1," in reply, reply
        port = ftplib.parse227(reply)[1]
        assert lab.settings.host_port(100) <= port <= lab.settings.host_port(227)
        client.sendcmd("ABOR")
        lines: list[str] = []
        client.retrlines("LIST", lines.append)
        assert any(line.endswith("README.txt") for line in lines)
        data = io.BytesIO()
        client.retrbinary("RETR pub/notes.txt", data.write)
        assert b"3.1.2" in data.getvalue()


def test_pasv_from_the_lab_network_advertises_the_service_address(ftp_ip: str, alice_host: ClientHost) -> None:
    script = f"import ftplib; f = ftplib.FTP('{ftp_ip}'); f.login(); print(f.sendcmd('PASV'))"
    reply = ok(alice_host.run("python3", "-c", script))
    assert f"({ftp_ip.replace('.', ',')}," in reply


def test_bounce_port_to_a_third_party_is_refused(ftp_ip: str, alice_host: ClientHost, bob_host: ClientHost) -> None:
    octets = bob_host.ip.replace(".", ",")
    script = (f"import ftplib\nf = ftplib.FTP('{ftp_ip}'); f.login()\n"
              f"try:\n    print(f.sendcmd('PORT {octets},31,144'))\nexcept ftplib.Error as e:\n    print(e)\n")
    assert ok(alice_host.run("python3", "-c", script)).startswith("501")


def test_log_has_a_line_per_command_and_per_transfer_and_never_the_password(lab: ComposeLab, alice_host: ClientHost,
                                                                             ftp_ip: str) -> None:
    ok(alice_host.run("ftp-client", ftp_ip, "list", "--user", USER, "--password", PASSWORD))
    logs = lab.service_container("ftp").logs().decode()
    assert f"{alice_host.ip}:" in logs and "PASS ****" in logs and f"PASS {PASSWORD}" not in logs
    assert "transfer LIST / ok bytes=" in logs and "seconds=" in logs


PARALLEL_GUESSES = """
import ftplib, sys, threading, time
def guess(i):
    f = ftplib.FTP("{ip}", timeout=60)
    try:
        f.login("student", f"guess{{i}}")
    except ftplib.error_perm as exc:
        assert str(exc).startswith("530"), exc
    f.close()
start = time.monotonic()
threads = [threading.Thread(target=guess, args=(i,)) for i in range({n})]
for t in threads: t.start()
for t in threads: t.join()
print(round(time.monotonic() - start, 3))
"""


def test_parallel_wrong_passwords_from_one_host_are_throttled_while_another_host_logs_in(
        ftp_ip: str, alice_host: ClientHost, bob_host: ClientHost, lab: ComposeLab) -> None:
    guesses = 10
    guesser = alice_host.popen("python3", "-c", PARALLEL_GUESSES.format(ip=ftp_ip, n=guesses))
    try:
        wait_until(lambda: f"failed login as 'student' from {alice_host.ip}" in lab.service_container("ftp").logs()
                   .decode(), what="the first failed guess")
        # Another host logs in at once, while the guesser's answers still wait their turns.
        ok(bob_host.run("ftp-client", ftp_ip, "list", "--user", USER, "--password", PASSWORD))
        assert guesser.poll() is None, "the guesses were answered before another host could log in"
        out, err = guesser.communicate(timeout=120)
    finally:
        if guesser.poll() is None:
            guesser.kill()
    assert guesser.returncode == 0, err.decode()
    # Ten connections bought no parallelism: one answer per delay, for the address as a whole.
    assert float(out) >= guesses * LOGIN_DELAY * 0.9, out


HOLD_PASV = """
import socket
socks, replies = [], []
for i in range(100):
    s = socket.create_connection(("{ip}", 21), timeout=30)
    r = s.makefile("rb"); r.readline()
    for line in (b"USER anonymous", b"PASS x@y", b"PASV"):
        s.sendall(line + b"\\r\\n"); reply = r.readline()
    replies.append(reply)
    socks.append((s, r))
print(sum(reply.startswith(b"227") for reply in replies))
for s, r in socks:
    s.sendall(b"QUIT\\r\\n"); r.readline(); s.close()
"""


def test_a_class_of_a_hundred_holds_passive_ports_at_once(ftp_ip: str, alice_host: ClientHost) -> None:
    assert ok(alice_host.run("python3", "-c", HOLD_PASV.format(ip=ftp_ip), timeout=120)).strip() == "100"


STRICT_CHECKS = """
import ftplib, hashlib, io, os, socket
f = ftplib.FTP("{ip}", timeout=20)
f.login("student", "socketlab")
whole = os.urandom(300_000)
f.storbinary("STOR resume-{tag}.bin", io.BytesIO(whole[:100_000]))       # a cut upload ...
f.storbinary("STOR resume-{tag}.bin", io.BytesIO(whole[100_000:]), rest=100_000)   # ... resumed
got = io.BytesIO(); f.retrbinary("RETR resume-{tag}.bin", got.write)
print("resume", hashlib.sha256(got.getvalue()).hexdigest() == hashlib.sha256(whole).hexdigest())
f.storbinary("STOR lines-{tag}.txt", io.BytesIO(b"a\\nb\\nc\\n"))
f.voidcmd("TYPE A"); print("size-a", f.sendcmd("SIZE lines-{tag}.txt")); f.voidcmd("TYPE I")
f.sendcmd("PASV")
f.sock.settimeout(20)
print("retr", f.sendcmd("RETR resume-{tag}.bin")[:3])      # the data connection never opens ...
f.sock.sendall(b"ABOR\\r\\n")
print("abor", f.getline()[:3], f.getline()[:3])
print("epsv-all", f.sendcmd("EPSV ALL")[:3])
for cmd in ("PASV", "PORT " + f.sock.getsockname()[0].replace(".", ",") + ",200,1"):
    try:
        print(cmd.split()[0], f.sendcmd(cmd)[:3])
    except ftplib.error_perm as exc:
        print(cmd.split()[0], str(exc)[:3])
f.delete("resume-{tag}.bin"); f.delete("lines-{tag}.txt")
"""


def test_a_stricter_testers_ftp_checks_from_a_client_host(ftp_ip: str, bob_host: ClientHost) -> None:
    """REST+STOR resumes byte for byte, SIZE in TYPE A, ABOR before the data connection, EPSV ALL."""
    out = ok(bob_host.run("python3", "-c", STRICT_CHECKS.format(ip=ftp_ip, tag=bob_host.ip.replace(".", "_"))))
    assert out.split("\n")[:-1] == ["resume True", "size-a 213 9", "retr 150", "abor 426 226", "epsv-all 200",
                                     "PASV 501", "PORT 501"], out
