"""Checker of lesson 3.3-select: a select echo server, one process and one thread serving everyone.

The expectations and their order are shared by the select, poll and epoll lessons
(socketlab/lessons/multiplexing.py): listen on 8888; echo; a character split across two
segments; a silent client holds up no one; a client that vanishes (RST) stops nothing; a
2 MiB echo to a slow reader arrives whole; the server closes when the client does; 24
clients on two hosts at once, each with its own replies, while the server's host sees one
process with one thread; once everyone left, no CPU, descriptors or CLOSE_WAIT are left
behind.
"""
from socketlab.lessons.multiplexing import check_multiplexed


def check(run, program):
    yield from check_multiplexed(run, program, "select")
