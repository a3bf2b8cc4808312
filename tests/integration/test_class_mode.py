"""Class mode: a student's machine reaches the lab only through the teacher's published ports.

The student is a container on a bridge network of its own: it has no address
on the lab's networks and dials the host's address, as a laptop in the
classroom dials the teacher's machine. The FTP server is started from the
compose file's own class-mode settings (SOCKETLAB_PUBLISH_IP=0.0.0.0,
SOCKETLAB_PUBLIC_HOST=the address the student dials), with a small passive
pool of its own ports, next to the session lab.

Passive mode: PASV must advertise the public host, never the container's
lab address (ftplib and curl). Active mode: the server connects back to the
address it sees the student at, as it would to a laptop on the classroom's
network; here that is the host, which forwards a port the student publishes
(lftp's ftp:port-ipv4, ftplib with an explicit PORT).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import pytest
from docker.types import EndpointConfig, IPAMConfig, IPAMPool

from socketlab.compose import compose_command
from socketlab.settings import REPO_ROOT, LabSettings

from .lab import ComposeLab

NOTES = "The notes (3.1.2) ask"


@dataclass
class Classroom:
    teacher: str  # the host address the student dials (its gateway on the student's network)
    control: int
    pasv: range
    active: int
    lab_gateway: str  # where the server sees the student come from (Docker's port forwarding)
    student: docker.models.containers.Container

    def sh(self, script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "exec", self.student.id, "sh", "-c", script],
                              capture_output=True, text=True, timeout=120)


def class_config(settings: LabSettings, public_host: str) -> dict:
    env = {**settings.compose_env(), "SOCKETLAB_PUBLISH_IP": "0.0.0.0", "SOCKETLAB_PUBLIC_HOST": public_host}
    done = subprocess.run(compose_command(settings, "config", "--format", "json"), cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def classroom(lab: ComposeLab) -> Iterator[Classroom]:
    settings, client = lab.settings, lab.docker
    prefix = settings.net_prefix
    teacher = f"{prefix}.9.1"
    control, active = settings.host_port(29), settings.host_port(240)
    pasv = range(settings.host_port(230), settings.host_port(234))
    config = class_config(settings, teacher)
    ftp_env = dict(config["services"]["ftp"]["environment"], FTP_PASV_PORTS=f"{pasv.start}-{pasv.stop - 1}")
    net = client.networks.create(f"{settings.project}_classroom", driver="bridge", labels={"socketlab.test": "class"},
                                 ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=f"{prefix}.9.0/24", gateway=teacher)]))
    started = []
    try:
        public = settings.network("public")
        ports = {"21/tcp": ("0.0.0.0", control), **{f"{p}/tcp": ("0.0.0.0", p) for p in pasv}}
        started.append(client.containers.run(
            settings.image("ftp"), detach=True, init=True, environment=ftp_env, ports=ports, cap_drop=["ALL"],
            sysctls={"net.ipv4.ip_unprivileged_port_start": "0"}, network=public, name=f"{settings.project}-class-ftp",
            networking_config={public: EndpointConfig(client.api.api_version, ipv4_address=f"{prefix}.1.23")},
            labels={"socketlab.test": "class"}))
        lab_gateway = f"{prefix}.1.1"
        started.append(client.containers.run(
            settings.client_image, ["sleep", "infinity"], detach=True, init=True, network=net.name,
            ports={f"{active}/tcp": (lab_gateway, active)}, labels={"socketlab.test": "class"},
            name=f"{settings.project}-class-student"))
        room = Classroom(teacher, control, pasv, active, lab_gateway, started[-1])
        waited = room.sh(f"for i in $(seq 100); do nc -z -w1 {teacher} {control} && exit 0; sleep 0.2; done; exit 1")
        assert waited.returncode == 0, "the class FTP server never answered on the published port"
        room.config = config  # type: ignore[attr-defined]
        yield room
    finally:
        for container in started:
            container.remove(force=True, v=True)
        net.remove()


def test_one_setting_publishes_every_service_on_every_address(classroom: Classroom) -> None:
    config = classroom.config  # type: ignore[attr-defined]
    published = {name: [p.get("host_ip") for p in service.get("ports") or []]
                 for name, service in config["services"].items()}
    assert any(published.values())
    assert all(ip == "0.0.0.0" for ips in published.values() for ip in ips), published
    assert config["services"]["ftp"]["environment"]["FTP_PASV_ADDRESS_HOST"] == classroom.teacher


def test_the_student_is_not_on_the_lab_networks(lab: ComposeLab, classroom: Classroom) -> None:
    route = classroom.sh(f"ip -4 -o addr show scope global; nc -z -w2 {lab.service_ip('ftp')} 21; echo rc=$?")
    assert f"{lab.settings.net_prefix}.9." in route.stdout and "rc=1" in route.stdout, route.stdout


def test_passive_ftp_through_the_published_ports(classroom: Classroom) -> None:
    t = classroom
    script = (f"import ftplib\nf = ftplib.FTP()\nf.connect('{t.teacher}', {t.control}, timeout=10)\nf.login()\n"
              "print('PASV', *f.makepasv())\nlines = []\nf.retrlines('RETR pub/notes.txt', lines.append)\n"
              "print(lines[0])\nf.quit()\n")
    ftplib_run = t.sh(f"python3 -c \"{script}\"")
    assert ftplib_run.returncode == 0, ftplib_run.stderr
    pasv_host, pasv_port = ftplib_run.stdout.splitlines()[0].split()[1:]
    assert pasv_host == t.teacher and int(pasv_port) in t.pasv
    assert NOTES in ftplib_run.stdout
    curl_run = t.sh(f"curl -sS --fail -v --disable-epsv ftp://{t.teacher}:{t.control}/pub/notes.txt")
    assert curl_run.returncode == 0 and NOTES in curl_run.stdout, curl_run.stderr
    assert f"227 Entering Passive Mode ({t.teacher.replace('.', ',')}," in curl_run.stderr


def test_active_ftp_back_through_the_published_ports(classroom: Classroom) -> None:
    t = classroom
    lftp = t.sh(f"lftp -p {t.control} -e 'set ftp:ssl-allow no; set ftp:passive-mode off; "
                f"set ftp:port-ipv4 {t.lab_gateway}; set ftp:port-range {t.active}-{t.active}; "
                f"cat pub/notes.txt; bye' {t.teacher}")
    assert lftp.returncode == 0 and NOTES in lftp.stdout, lftp.stderr
    h = t.lab_gateway.replace(".", ",")
    script = (f"import ftplib, socket\nf = ftplib.FTP()\nf.connect('{t.teacher}', {t.control}, timeout=10)\n"
              f"f.login()\nf.voidcmd('TYPE I')\nl = socket.create_server(('0.0.0.0', {t.active}))\n"
              f"print(f.sendcmd('PORT {h},{t.active >> 8},{t.active & 255}'))\nf.putcmd('RETR pub/notes.txt')\n"
              "print(f.getresp())\nconn, _ = l.accept()\ndata = b''\n"
              "while chunk := conn.recv(4096):\n    data += chunk\nconn.close()\nprint(f.voidresp())\n"
              "print(data.decode())\nf.quit()\n")
    ftplib_run = t.sh(f"python3 -c \"{script}\"")
    assert ftplib_run.returncode == 0, ftplib_run.stderr
    assert ftplib_run.stdout.startswith("200 ") and NOTES in ftplib_run.stdout
    assert "\n150 " in ftplib_run.stdout and "\n226 " in ftplib_run.stdout
