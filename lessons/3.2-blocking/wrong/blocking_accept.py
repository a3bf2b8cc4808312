"""
错误示范：监听套接字保持默认的阻塞状态。
没有客户端时程序卡在 accept 里，什么别的事也做不了。
"""
from socket import *
from time import ctime

sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(("0.0.0.0", 8888))
sockfd.listen(5)

while True:
    print("等待客户端...", ctime())
    connfd, addr = sockfd.accept()  # 阻塞在这里：打印一次之后就不动了
    print("Connect from", addr)
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
