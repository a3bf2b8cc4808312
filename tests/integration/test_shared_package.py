"""The shared package in all three units: the host, the client image and a service image.

Each unit imports the wire formats (the chat codec, the echo check) and the
model registry from `socketlab_common`, and encodes the same facts to the same
bytes: there is no second copy to drift.
"""

from __future__ import annotations

import json

import pytest

from .lab import ComposeLab

PROBE = """
import json, socketlab_common.registry as r, socketlab_common.wire.chat as c, socketlab_common.wire.echo as e
print(json.dumps({
    "chat": c.__file__, "echo": e.__file__,
    "login": c.encode_request(c.Login("小明")).decode(), "ping": c.encode_request(c.Heartbeat(None)).decode(),
    "keywords": list(c.REPLY_KEYWORDS), "echo_api": [e.tcp_roundtrip.__name__, e.udp_roundtrip.__name__],
    "models": list(r.MODEL_NAMES), "baselines": [m.name for m in r.BASELINES],
}))
"""


def facts_here() -> dict:
    namespace: dict = {}
    with __import__("contextlib").redirect_stdout(__import__("io").StringIO()) as out:
        exec(PROBE, namespace)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("image", ["client", "chat", "ftp"])
def test_each_image_imports_the_same_wire_formats_and_registry(lab: ComposeLab, image: str) -> None:
    output = lab.docker.containers.run(lab.settings.image(image), ["-c", PROBE], entrypoint="python3", remove=True,
                                       network_mode="none")
    inside = json.loads(output)
    host = facts_here()
    assert inside["chat"] == "/app/socketlab_common/wire/chat.py"
    assert inside["echo"] == "/app/socketlab_common/wire/echo.py"
    assert "socketlab_common/wire/chat.py" in host["chat"]
    for key in ("login", "ping", "keywords", "echo_api", "models", "baselines"):
        assert inside[key] == host[key], key
    assert host["login"] == "L 小明" and host["ping"] == "H"
