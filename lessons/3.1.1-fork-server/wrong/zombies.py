"""
错误示范：没有处理 SIGCHLD，也不回收子进程。
客户端走了，它的子进程却变成僵尸（ps 里的 Z 状态），一直留在进程表里。
"""
from socket import *
from multiprocessing import Process


def handle(connfd):
    while True:
        data = connfd.recv(1024)
        if not data:
            break
        connfd.sendall(data)
    connfd.close()


def main():
    s = socket()
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8888))
    s.listen(128)
    while True:
        c, addr = s.accept()
        print("Connect from", addr)
        p = Process(target=handle, args=(c,))
        p.daemon = True
        p.start()
        c.close()


if __name__ == "__main__":
    main()
