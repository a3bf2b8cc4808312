"""
错误示范：设置了非阻塞，却没有捕获 BlockingIOError。
还没有客户端连接，第一次 accept 就抛出异常，程序直接退出。
"""
from socket import *

sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(("0.0.0.0", 8888))
sockfd.listen(5)
sockfd.setblocking(False)

while True:
    connfd, addr = sockfd.accept()  # 没有客户端：BlockingIOError
    print("Connect from", addr)
    data = connfd.recv(1024)
    connfd.sendall(data)
    connfd.close()
