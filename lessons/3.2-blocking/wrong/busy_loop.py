"""
错误示范：非阻塞的 accept 抛出 BlockingIOError 之后马上再试，循环从不休息。
每秒只打印一行日志，可 CPU 一直是 100%（忙等）。
"""
from socket import *
from time import time, ctime

sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(("0.0.0.0", 8888))
sockfd.listen(5)
sockfd.setblocking(False)

last = 0
while True:
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        if time() - last >= 1:
            print("等待客户端...", ctime())
            last = time()
        continue  # 没有 sleep：立刻再来一次
    connfd.settimeout(3)
    try:
        while True:
            data = connfd.recv(1024)
            if not data:
                break
            connfd.sendall(data)
    except (timeout, ConnectionError):
        pass
    connfd.close()
