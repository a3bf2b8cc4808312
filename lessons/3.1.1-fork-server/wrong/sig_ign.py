"""
错误示范：笔记的 signal(SIGCHLD, SIG_IGN) 和 multiprocessing 放在一起（父进程已经 c.close()）。
SIG_IGN 让内核自动回收子进程，可 multiprocessing 因此再也查不到子进程已经结束，
永远记着每一个 Process 对象和它的两个管道：每服务一个客户端，父进程就多占两个文件描述符，
几千个客户端之后 accept 就报 Too many open files。（ls /proc/<父进程>/fd | wc -l 看着它涨）
"""
from socket import *
from multiprocessing import Process
from signal import *


def handle(connfd):
    try:
        while True:
            data = connfd.recv(1024)
            if not data:
                break
            connfd.sendall(data)
    except ConnectionError:
        pass
    connfd.close()


def main():
    s = socket()
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8888))
    s.listen(128)
    signal(SIGCHLD, SIG_IGN)  # 内核自动回收，multiprocessing 却不知道
    while True:
        c, addr = s.accept()
        print("Connect from", addr)
        p = Process(target=handle, args=(c,))
        p.daemon = True
        p.start()
        c.close()


if __name__ == "__main__":
    main()
