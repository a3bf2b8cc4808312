"""
错误示范：照抄笔记，父进程没有关闭自己的那一份连接套接字。
子进程关闭连接后，父进程手里还有一份，TCP 连接关不掉：
客户端等不到服务器的 FIN，服务器上留下 CLOSE_WAIT（ss -tn 可以看到）。
（而且 signal(SIGCHLD, SIG_IGN) 让 multiprocessing 永远记着每个子进程，
每个客户端还要多占父进程两个文件描述符。）
"""
from socket import *
from multiprocessing import Process
from signal import *


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
    signal(SIGCHLD, SIG_IGN)
    while True:
        c, addr = s.accept()
        print("Connect from", addr)
        p = Process(target=handle, args=(c,))
        p.daemon = True
        p.start()
        # 少了 c.close()


if __name__ == "__main__":
    main()
