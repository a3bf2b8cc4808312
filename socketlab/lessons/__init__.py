"""Lessons: learners write the notes' programs, run them on the lab's hosts, and check them.

    catalog.py   the lesson folders (lessons/<section>-<slug>/lesson.toml), find(id)
    verdict.py   Verdict and its 80-column rendering, Chinese then English (pure)
    kit.py       Checkup / Program: what a lesson's check.py uses on the running lab
    family.py    a program's children over time (chapter 2: at once, zombies), from Program.snapshots()
    probes/      client scripts the checkers run on driver hosts (sent as text: no image rebuild)
    cli.py       `socketlab lesson list`, `socketlab lesson check ID [FILE.py]`

How to write a checker
----------------------
A lesson folder holds lesson.toml, README.md (中文 first, then English), the
reference program, wrong/*.py (typical mistakes) and check.py. lesson.toml::

    id = "1.3-tcp"                     # = the folder name
    section = "1.3"
    title_zh = "TCP 套接字：..."
    title_en = "TCP sockets: ..."
    reference = "tcp_server.py"
    kind = "server"                    # server | client | program
    service = "echo-iterative"         # the lab service showing the same at scale (optional)
    timeout = 40                       # bound of the whole check, seconds (default 60)
    alone = false                      # true if it measures time: the tests run it alone

    [[wrong]]
    file = "wrong/no_reuseaddr.py"
    why_zh = "没有 SO_REUSEADDR：..."
    why_en = "no SO_REUSEADDR: ..."
    fails = "reuseaddr"                # the verdict key(s) it must fail (a string or a list)

check.py defines one generator; it yields a Verdict per expectation and
returns early when later ones make no sense (the server never listened)::

    from socketlab.lessons.kit import Checkup
    from socketlab.lessons.verdict import failed, passed

    def check(run: Checkup, program):
        server = run.start(program)                  # the learner's file, on its own host
        verdict = run.listening(server, 8888)        # bounded; a crash shows its stderr
        yield verdict
        if not verdict.passed:
            return
        client = run.host()                          # a driver host
        report = run.tcp_script(client, server.ip, 8888,
                                [["connect", "a"], ["send", "a", "hi"], ["recv_until", "a", "Thanks", 3]])
        if report["ok"]:
            yield passed("收到 Thanks", "got Thanks", key="reply")
        else:
            yield failed("没有收到 Thanks", "no Thanks", "每条消息回复 b'Thanks'", "answer b'Thanks'",
                         detail=report["error"], key="reply")

What the kit gives (every wait is bounded, and cut to what is left of the check's time):
- `run.start(path, *args, network=, name=, stdin=, files=, on=, watch=, env=)` -> Program:
  `python3 -u` on a fresh host; its folder at /work (read-only), working directory a writable
  scratch folder with links to the same files plus a copy of `files` (e.g. the lesson's static/);
  `stdin` text is written then closed; `on=program.host` runs it again on the same host (a
  restart); `watch=True` samples its process tree every 20 ms from before it starts until it
  exits; `env` adds environment variables (e.g. PYTHONFAULTHANDLER=1).
- `run.host(network)` a driver host; `run.probe(host, script, *args, timeout=)` runs Python
  text there (ExecResult; exit 124/137 on timeout); `probe_script(name)` reads
  probes/<name>.py; `parse_json(result)`; `run.tcp_script(host, ip, port, steps)` plays
  probes/tcp_script.py; `run.service_ip("web")`; `run.bound(t)`, `run.remaining()`.
- Program: `.ip`, `.host`, `.wait_listening(port, proto)`, `.wait_output(text)`, `.send(text)`,
  `.close_stdin()`, `.wait_exit(t)`, `.alive()`, `.output()`, `.errors()`, `.crash_detail()`,
  `.processes()` (ProcessInfo pid, ppid, stat, threads, command: the program and its
  descendants), `.host_processes()` (all of its host: what outlived it), `.snapshots()` (with
  watch=True: its trees over its life), `.threads()` (ThreadInfo tid, state, cpu_ticks of its
  own process, from /proc; `all_asleep(before, after)` tells blocked from spinning),
  `.connections(port, state)`, `.wait_connections(port, n)`, `.signal(sig)`, `.stop()`.
- `run.listening(program, port, proto)` and `run.ended_cleanly(program)` are ready-made verdicts.

Rules: black box (never import the learner's file); keep checks to seconds; a verdict's
`key` is stable (the wrong programs name it); hints say what to change, in both languages.
The checker's own exceptions become a failing verdict (key "checker"), and the whole check
ends with a failing verdict (key "timeout") when lesson.toml's timeout runs out.
Tests: tests/integration/test_lessons.py discovers every lesson: the reference must pass,
each wrong/*.py must fail the keys it names.
"""
