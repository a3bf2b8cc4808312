"""
错误示范：回复一次就关闭连接（像笔记 4.2 的 WebServer 处理一个请求那样）。
压测的客户端在同一个连接上一条接一条地发消息：第二条消息就发不出去了，
负载下全是错误。
"""
from socket import *
from threading import Thread


def handle(connfd):
    try:
        data = connfd.recv(4096)
        connfd.sendall(data)
    except ConnectionError:
        pass
    connfd.close()  # 只回复一次就关闭


sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(("0.0.0.0", 8888))
sockfd.listen(128)

while True:
    connfd, addr = sockfd.accept()
    Thread(target=handle, args=(connfd,), daemon=True).start()
