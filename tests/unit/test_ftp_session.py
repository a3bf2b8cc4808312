"""The FTP control state machine, fed whole and one byte at a time, against a temporary library."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from ftpserver.config import FtpConfig, parse_port_range, parse_users
from ftpserver.jail import Jail
from ftpserver.session import FtpSession, Transfer, TransferResult

from .feeding import pieces

PEER = ("10.0.0.7", 50000)


class FakePassive:
    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0

    def open(self) -> int:
        self.opened += 1
        return 40001

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def library(tmp_path: Path) -> Path:
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "a.txt").write_bytes(b"hello\n")
    (tmp_path / "empty").mkdir()
    os.symlink("/etc/passwd", tmp_path / "passwd-link")
    return tmp_path


CONFIG = FtpConfig(users={"alice": "s3cret"}, idle_timeout=60)


def make(library: Path, config: FtpConfig = CONFIG, clock=lambda: 0.0) -> FtpSession:
    return FtpSession(config, Jail(library), PEER, "10.0.0.2", FakePassive(), clock)


def converse(session: FtpSession, data: bytes, bytewise: bool = False,
             transfers: list[Transfer] | None = None, result: TransferResult | None = None) -> str:
    """Feed `data`, completing every transfer and pause the session asks for; return all replies."""
    out = bytearray(session.outgoing())
    for chunk in pieces(data, "bytewise" if bytewise else "whole"):
        session.receive(chunk)
        out += drain(session)
        while (transfer := session.take_transfer()) is not None:
            if transfers is not None:
                transfers.append(transfer)
            session.transfer_done(result or TransferResult(True, len(transfer.payload), 0.01))
            out += drain(session)
    return out.decode()


def drain(session: FtpSession) -> bytes:
    """What the driver sends: after each pause (a failed login's delay) it resumes, then takes the output."""
    while session.pause() is not None:
        session.resume()
    return session.outgoing()


def codes(text: str) -> list[str]:
    """The final reply codes, in order (continuation lines of multi-line replies left out)."""
    return [line[:3] for line in text.split("\r\n") if line[:3].isdigit() and line[3:4] == " "]


SCRIPT = (b"USER alice\r\nPASS s3cret\r\nSYST\r\nFEAT\r\nPWD\r\nTYPE I\r\nMODE S\r\nSTRU F\r\nCWD pub\r\n"
          b"PWD\r\nCDUP\r\nMKD new\r\nRMD new\r\nSIZE pub/a.txt\r\nMDTM pub/a.txt\r\nMLST pub/a.txt\r\n"
          b"PASV\r\nLIST\r\nEPSV\r\nRETR pub/a.txt\r\nRNFR pub/a.txt\r\nRNTO pub/b.txt\r\nDELE pub/b.txt\r\n"
          b"NOOP\r\nQUIT\r\n")
SCRIPT_CODES = ["220", "331", "230", "215", "211", "257", "200", "200", "200", "250", "257", "250", "257", "250",
                "213", "213", "250", "227", "150", "226", "229", "150", "226", "350", "250", "250", "200", "221"]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_a_whole_session(library: Path, bytewise: bool) -> None:
    session = make(library)
    transfers: list[Transfer] = []
    replies = converse(session, SCRIPT, bytewise, transfers)
    assert codes(replies) == SCRIPT_CODES
    assert session.closing
    assert '257 "/pub" is the current directory.' in replies
    assert "227 Entering Passive Mode (10,0,0,2,156,65)." in replies
    assert "229 Entering Extended Passive Mode (|||40001|)." in replies
    assert "211-Features:\r\n EPRT\r\n" in replies and "\r\n211 End\r\n" in replies
    assert " type=file;size=6;" in replies
    listing, retr = transfers
    assert listing.verb == "LIST" and b"pub" in listing.payload and listing.active is None
    assert retr.verb == "RETR" and retr.path == library / "pub" / "a.txt"
    assert not (library / "pub" / "b.txt").exists()


def test_whole_and_bytewise_give_the_same_bytes(library: Path) -> None:
    script = SCRIPT.replace(b"MDTM pub/a.txt\r\n", b"").replace(b"MLST pub/a.txt\r\n", b"")
    script = script.replace(b"RNFR pub/a.txt\r\nRNTO pub/b.txt\r\nDELE pub/b.txt\r\n", b"")  # state-changing
    assert converse(make(library), script) == converse(make(library), script, bytewise=True)


def test_commands_before_login_get_530_and_pass_before_user_503(library: Path) -> None:
    replies = converse(make(library), b"LIST\r\nRETR x\r\nPASS x\r\nCWD /\r\nSYST\r\n")
    assert codes(replies) == ["220", "530", "530", "503", "530", "215"]


def test_unknown_and_unimplemented_and_bad_arguments(library: Path) -> None:
    session = make(library)
    replies = converse(session, b"USER alice\r\nPASS s3cret\r\nXYZZY\r\nSITE CHMOD 777 x\r\nTYPE Q\r\nTYPE\r\n"
                                b"REST abc\r\nPORT 1,2,3\r\nEPRT |9|x|1|\r\nMODE B\r\nRNTO x\r\nCWD\r\n")
    assert codes(replies) == ["220", "331", "230", "500", "502", "504", "501", "501", "501", "522", "504", "503",
                              "501"]


def test_wrong_password_three_times_closes(library: Path) -> None:
    session = make(library)
    replies = converse(session, b"USER alice\r\nPASS no\r\nUSER alice\r\nPASS no\r\nUSER alice\r\nPASS no\r\nNOOP\r\n")
    assert codes(replies) == ["220", "331", "530", "331", "530", "331", "530", "421"]
    assert session.closing


def test_unknown_user_is_refused_like_a_bad_password(library: Path) -> None:
    assert codes(converse(make(library), b"USER mallory\r\nPASS s3cret\r\n"))[-1] == "530"


def test_password_is_never_logged(library: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    converse(make(library), b"USER alice\r\nPASS s3cret\r\n")
    assert "s3cret" not in caplog.text
    assert "PASS ****" in caplog.text


@pytest.mark.parametrize("command", [b"RETR ../../etc/passwd", b"CWD /../..", b"RETR passwd-link", b"CWD ..",
                                     b"RETR /etc/passwd", b"SIZE ../../etc/passwd", b"LIST ../..",
                                     b"STOR ../evil", b"DELE ../x", b"MKD ../../x"])
def test_traversal_gets_550(library: Path, command: bytes) -> None:
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nEPSV\r\n" + command + b"\r\n")
    assert codes(replies)[-1] == "550", replies


def test_anonymous_reads_but_may_not_write(library: Path) -> None:
    replies = converse(make(library), b"USER anonymous\r\nPASS me@x\r\nEPSV\r\nSTOR new.txt\r\nMKD d\r\n"
                                      b"DELE pub/a.txt\r\nEPSV\r\nRETR pub/a.txt\r\n")
    assert codes(replies) == ["220", "331", "230", "229", "550", "550", "550", "229", "150", "226"]
    assert "read-only" in replies


def test_anonymous_upload_when_enabled_but_no_delete_or_overwrite(library: Path) -> None:
    config = replace(CONFIG, anon_upload=True)
    replies = converse(make(library, config), b"USER ftp\r\nPASS x\r\nEPSV\r\nSTOR new.txt\r\nDELE pub/a.txt\r\n"
                                              b"EPSV\r\nSTOR pub/a.txt\r\n")
    assert codes(replies) == ["220", "331", "230", "229", "150", "226", "550", "229", "553"]


def test_anonymous_login_can_be_disabled(library: Path) -> None:
    config = replace(CONFIG, anonymous=False)
    assert codes(converse(make(library, config), b"USER anonymous\r\nPASS x\r\n"))[-1] == "530"


def test_read_only_mode_refuses_every_write(library: Path) -> None:
    config = replace(CONFIG, read_only=True)
    replies = converse(make(library, config), b"USER alice\r\nPASS s3cret\r\nEPSV\r\nSTOR x\r\nAPPE x\r\nMKD d\r\n"
                                              b"RMD empty\r\nDELE pub/a.txt\r\nRNFR pub/a.txt\r\n")
    assert codes(replies) == ["220", "331", "230", "229"] + ["550"] * 6


def test_transfer_without_port_or_pasv_gets_425(library: Path) -> None:
    assert codes(converse(make(library), b"USER alice\r\nPASS s3cret\r\nRETR pub/a.txt\r\n"))[-1] == "425"


def test_port_to_a_third_party_is_refused_and_own_address_accepted(library: Path) -> None:
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nPORT 192,168,1,1,0,25\r\n"
                                      b"EPRT |1|8.8.8.8|2000|\r\nPORT 10,0,0,7,4,1\r\nPORT 10,0,0,7,0,21\r\n"
                                      b"EPRT |1|10.0.0.7|2000|\r\nRETR pub/a.txt\r\n")
    assert codes(replies) == ["220", "331", "230", "501", "501", "200", "501", "200", "150", "226"]


def test_active_transfer_carries_the_client_address(library: Path) -> None:
    transfers: list[Transfer] = []
    converse(make(library), b"USER alice\r\nPASS s3cret\r\nPORT 10,0,0,7,4,1\r\nRETR pub/a.txt\r\n",
             transfers=transfers)
    assert transfers[0].active == ("10.0.0.7", 1025)


def test_rest_then_retr_resumes_and_applies_once(library: Path) -> None:
    transfers: list[Transfer] = []
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nREST 3\r\nEPSV\r\nRETR pub/a.txt\r\n"
                                      b"EPSV\r\nRETR pub/a.txt\r\nREST 99\r\nEPSV\r\nRETR pub/a.txt\r\n",
                       transfers=transfers)
    assert [t.offset for t in transfers] == [3, 0]
    assert codes(replies)[-1] == "554"


def test_lines_arriving_during_a_transfer_are_held_not_lost(library: Path) -> None:
    session = make(library)
    converse(session, b"USER alice\r\nPASS s3cret\r\n")
    session.receive(b"EPSV\r\nRETR pub/a.txt\r\nNOOP\r\nPWD\r\n")
    before = session.outgoing().decode()
    assert codes(before) == ["229", "150"]
    transfer = session.take_transfer()
    assert transfer is not None and session.take_transfer() is None
    assert session.deadline() is None  # no idle timeout while a transfer runs
    session.transfer_done(TransferResult(False, 10, 0.1, "connection-lost"))
    assert codes(session.outgoing().decode()) == ["426", "200", "257"]


@pytest.mark.parametrize(("error", "code"), [("no-data-connection", "425"), ("local: No space left", "451"),
                                             ("aborted", "426")])
def test_failed_transfers_get_their_reply(library: Path, error: str, code: str) -> None:
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nEPSV\r\nRETR pub/a.txt\r\n",
                       result=TransferResult(False, 0, 0.0, error))
    assert codes(replies)[-1] == code


def test_abor_without_transfer_and_after_one(library: Path) -> None:
    session = make(library)
    replies = converse(session, b"USER alice\r\nPASS s3cret\r\nEPSV\r\nABOR\r\n\xff\xf4\xff\xf2ABOR\r\n")
    assert codes(replies)[-2:] == ["226", "226"]
    assert session.passive.closed >= 1


def test_overlong_line_gets_500_and_the_session_goes_on(library: Path) -> None:
    replies = converse(make(library), b"NOOP " + b"x" * 5000 + b"\r\nNOOP\r\n", bytewise=True)
    assert codes(replies) == ["220", "500", "200"]


def test_idle_deadline_and_timeout(library: Path) -> None:
    now = [100.0]
    session = make(library, clock=lambda: now[0])
    assert session.deadline() == 160.0
    now[0] = 130.0
    session.receive(b"NOOP\r\n")
    assert session.deadline() == 190.0
    session.timed_out()
    assert codes(session.outgoing().decode())[-1] == "421" and session.closing


def test_listings_nlst_mlsd_and_hidden_uploads(library: Path) -> None:
    (library / "pub" / ".ftp-upload-xyz").write_bytes(b"partial")
    transfers: list[Transfer] = []
    converse(make(library), b"USER alice\r\nPASS s3cret\r\nEPSV\r\nNLST pub\r\nEPSV\r\nMLSD pub\r\nEPSV\r\n"
                            b"LIST -la pub\r\nEPSV\r\nLIST\r\n", transfers=transfers)
    nlst, mlsd, ls, root = (t.payload.decode() for t in transfers)
    assert nlst == "a.txt\r\n"
    assert mlsd.startswith("type=file;size=6;modify=") and mlsd.endswith("; a.txt\r\n")
    assert ls.startswith("-rw") and ls.endswith(" a.txt\r\n")
    assert "passwd-link" not in root and ".ftp-upload" not in nlst + mlsd + ls


def test_utf8_names(library: Path) -> None:
    (library / "文件.txt").write_text("x")
    replies = converse(make(library), "USER alice\r\nPASS s3cret\r\nSIZE 文件.txt\r\n".encode())
    assert codes(replies)[-1] == "213"


def test_config_parsing(tmp_path: Path) -> None:
    assert parse_port_range("18100-18129") == range(18100, 18130)
    assert parse_users("a:1, b:x:y\n# c:3") == {"a": "1", "b": "x:y"}
    users = tmp_path / "users"
    users.write_text("carol:pw\n")
    config = FtpConfig.from_env({"FTP_USERS": "a:1", "FTP_USERS_FILE": str(users), "FTP_READ_ONLY": "yes",
                                 "FTP_PASV_PORTS": "5000-5001"})
    assert config.users == {"a": "1", "carol": "pw"} and config.read_only and config.pasv_ports == range(5000, 5002)
    with pytest.raises(ValueError):
        parse_users("nocolon")


def test_after_epsv_all_only_epsv_sets_up_data_connections(library: Path) -> None:
    """RFC 2428 4: once the client said EPSV ALL, PASV, PORT and EPRT are refused."""
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nPASV\r\nEPSV ALL\r\nPASV\r\nPORT 10,0,0,7,4,1\r\n"
                                      b"EPRT |1|10.0.0.7|2000|\r\nEPSV\r\nRETR pub/a.txt\r\n")
    assert codes(replies) == ["220", "331", "230", "227", "200", "501", "501", "501", "229", "150", "226"]


def test_rest_then_stor_carries_the_offset_and_a_hole_is_refused(library: Path) -> None:
    transfers: list[Transfer] = []
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nREST 3\r\nEPSV\r\nSTOR pub/a.txt\r\n"
                                      b"REST 7\r\nEPSV\r\nSTOR pub/a.txt\r\nREST 2\r\nEPSV\r\nSTOR pub/new.txt\r\n"
                                      b"EPSV\r\nSTOR pub/a.txt\r\n", transfers=transfers)
    assert codes(replies)[3:] == ["350", "229", "150", "226", "350", "229", "554", "350", "229", "554", "229", "150",
                                  "226"]
    assert [(t.verb, t.offset) for t in transfers] == [("STOR", 3), ("STOR", 0)]


def test_size_in_ascii_mode_counts_the_crlf_it_would_send(library: Path) -> None:
    (library / "crlf.txt").write_bytes(b"a\nb\r\nc\r")
    replies = converse(make(library), b"USER alice\r\nPASS s3cret\r\nSIZE crlf.txt\r\nTYPE A\r\nSIZE crlf.txt\r\n")
    assert codes(replies)[-3:] == ["213", "200", "213"]
    assert "213 7\r\n" in replies and replies.endswith("213 8\r\n")


def test_a_failed_login_asks_the_driver_for_a_pause(library: Path) -> None:
    now = [10.0]
    session = make(library, replace(CONFIG, login_delay=1.5), clock=lambda: now[0])
    session.outgoing()
    session.receive(b"USER alice\r\nPASS no\r\nNOOP\r\n")
    assert session.pause() == 1.5
    assert session.outgoing() == b""  # the 530 waits for the pause, and NOOP is not handled yet
    now[0] += 1.5
    session.resume()
    assert codes(session.outgoing().decode()) == ["331", "530", "200"]
    assert session.pause() is None


def test_every_command_has_one_rule(library: Path) -> None:
    from ftpserver.session import COMMANDS

    replies = converse(make(library), b"HELP\r\n")
    listed = {verb for line in replies.split("\r\n") if line.startswith(" ") for verb in line.split()}
    assert listed == {verb for verb, rule in COMMANDS.items() if rule.handler is not None}
    assert all(not rule.write or rule.login for rule in COMMANDS.values())
