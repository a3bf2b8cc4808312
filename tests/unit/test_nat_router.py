"""The NAT router's rule set and the host rule's bookkeeping, without a kernel."""

from __future__ import annotations

from natrouter.lanrule import rule_args, stale_rules
from natrouter.rules import RouterPlan

from socketlab.classroom import class_lines
from socketlab.settings import LabSettings

PLAN = RouterPlan("eth0", "eth1", "10.77.1.0/24", "10.77.2.0/24")


def test_forwarding_is_closed_except_outward_connections_and_their_replies() -> None:
    text = PLAN.restore_input()
    filter_table = text.split("*nat")[0]
    assert ":FORWARD DROP" in filter_table
    accepts = [line for line in filter_table.splitlines() if line.startswith("-A FORWARD")]
    assert accepts == ["-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                       "-A FORWARD -i eth1 -o eth0 -s 10.77.2.0/24 -d 10.77.1.0/24 -j ACCEPT"]
    assert "-A POSTROUTING -s 10.77.2.0/24 -o eth0 -j MASQUERADE" in text.split("*nat")[1]
    assert text.count("COMMIT") == 2


def test_the_health_check_asks_for_exactly_the_masquerade_rule() -> None:
    assert PLAN.masquerade_check() == ["-t", "nat", "-C", "POSTROUTING", "-s", "10.77.2.0/24", "-o", "eth0",
                                       "-j", "MASQUERADE"]


def test_only_our_rules_on_vanished_bridges_are_pruned() -> None:
    listing = "\n".join([
        "-N DOCKER-USER",
        '-A DOCKER-USER -i br-aaa -o br-aaa -m comment --comment "socketlab-lan 10.77.2.0/24" -j ACCEPT',
        '-A DOCKER-USER -i br-bbb -o br-bbb -m comment --comment "socketlab-lan 10.78.2.0/24" -j ACCEPT',
        "-A DOCKER-USER -i br-ccc -j DROP",
        "-A DOCKER-USER -j RETURN",
    ])
    assert stale_rules(listing, {"lo", "br-bbb"}) == [
        ["-D", "DOCKER-USER", *rule_args("br-aaa", "10.77.2.0/24")]]
    assert stale_rules(listing, {"br-aaa", "br-bbb"}) == []


def test_private_hosts_get_the_route_through_the_router() -> None:
    settings = LabSettings(net_prefix="10.94")
    assert settings.nat_route() == "10.94.1.0/24 via 10.94.2.2"
    assert settings.host_env("private") == {"SOCKETLAB_NAT_ROUTE": "10.94.1.0/24 via 10.94.2.2"}
    assert settings.host_env("public") == {}


def test_class_mode_tells_students_the_teachers_address() -> None:
    assert class_lines(LabSettings()) == []
    lines = class_lines(LabSettings(publish_ip="0.0.0.0", public_host="192.168.3.10", port_prefix="18"))
    text = "\n".join(lines)
    assert "192.168.3.10" in lines[0] and "nc 192.168.3.10 18815" in text
    assert "curl http://192.168.3.10:18080/" in text and "lftp -p 18021 192.168.3.10" in text
