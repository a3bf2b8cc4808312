"""Wire formats: the bytes a server and its clients exchange, written down once.

Every unit that speaks a protocol imports it from here: the servers in their
images, the clients in the client image, the host CLI and the tests.
`chat` is the chat room's datagram codec; `echo` the echo check (send bytes,
expect the same bytes back) over TCP and UDP.
"""
