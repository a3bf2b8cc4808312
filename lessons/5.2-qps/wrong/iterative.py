"""
错误示范：循环服务器（笔记 1.3 的写法）拿来压测。
一次只服务一个客户端：一个客户端的时候 QPS 看起来还不错，
可负载一来，其他连接全都在排队，一个回复也拿不到。
"""
from socket import *

sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(("0.0.0.0", 8888))
sockfd.listen(128)

while True:
    connfd, addr = sockfd.accept()
    print("Connect from", addr)
    try:
        while True:
            data = connfd.recv(4096)
            if not data:
                break
            connfd.sendall(data)
    except ConnectionError:
        pass
    connfd.close()
