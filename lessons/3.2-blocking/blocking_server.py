"""
非阻塞IO 与 超时检测（笔记 3.2.2、3.2.3）

没有客户端的时候，服务器不傻等：监听套接字设为非阻塞，
没人连接就去做别的事（这里是每秒打印一行日志）；
连上的客户端设置超时：一直不说话的客户端，最多等它 3 秒。
"""
from socket import *
from time import sleep, ctime

ADDR = ("0.0.0.0", 8888)

sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(ADDR)
sockfd.listen(5)

# 设置为非阻塞：没有客户端时 accept 不等待，立即抛出 BlockingIOError
sockfd.setblocking(False)

print("Listen the port %d..." % ADDR[1])
while True:
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        # 没有客户端连接：先做别的事，过一会儿再来看
        print("等待客户端...", ctime())
        sleep(1)
        continue

    print("Connect from", addr)
    # 超时检测：recv 最多阻塞 3 秒，超时抛出 timeout
    connfd.settimeout(3)
    try:
        while True:
            data = connfd.recv(1024)
            if not data:
                break
            connfd.sendall(data)  # 原样发回（回显）
    except timeout:
        print("客户端", addr, "3 秒没有说话，不等了")
    except ConnectionError:
        print("客户端", addr, "断开了")
    connfd.close()
