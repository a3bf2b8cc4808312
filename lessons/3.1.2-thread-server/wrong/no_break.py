"""
错误示范：recv 返回 b''（客户端已经关闭）时没有退出循环。
客户端走了，线程却还在原地打转（CPU 100%），连接也一直不关闭。
"""
from socket import *
from threading import Thread


def handle(connfd):
    while True:
        data = connfd.recv(1024)
        if data:
            connfd.sendall(data)
        # 少了：if not data: break  —— b'' 表示对方已经关闭


def main():
    s = socket()
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8888))
    s.listen(128)
    while True:
        c, addr = s.accept()
        print("Connect from", addr)
        Thread(target=handle, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
