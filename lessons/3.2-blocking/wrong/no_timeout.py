"""
错误示范：连接套接字没有设置超时。
一个连上却一直不说话的客户端，让服务器永远卡在 recv 里，后面的客户端都在等。
"""
from socket import *
from time import sleep, ctime

sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(("0.0.0.0", 8888))
sockfd.listen(5)
sockfd.setblocking(False)

while True:
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        print("等待客户端...", ctime())
        sleep(1)
        continue
    print("Connect from", addr)
    try:
        while True:
            data = connfd.recv(1024)  # 没有超时：客户端不说话就一直等
            if not data:
                break
            connfd.sendall(data)
    except ConnectionError:
        pass
    connfd.close()
