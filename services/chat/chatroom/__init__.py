"""The notes' UDP group chat room (section 2.2.5), made safe against spoofing, loss and vanished clients.

`protocol` is the codec (bytes <-> requests and replies), `room` the sans-I/O
state machine, `server` the one-socket I/O loop, `admin` the loopback-only
announcement tool.
"""
