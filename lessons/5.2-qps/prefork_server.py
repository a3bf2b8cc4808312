"""
更高并发（并发技术探讨）：多进程 + IO多路复用 的回显服务器

笔记最后一段说：“多进程网络并发中每个进程再开辟线程，或者在每个进程中
也可以使用多路复用的IO处理方法”。这里就是后一种：监听套接字准备好以后，
fork 出和 CPU 核数一样多的进程，每个进程用自己的 epoll 服务一部分客户端，
几个 CPU 核一起干活。每个进程里的循环和 3.3-epoll/epoll_server.py 一模一样：
diff 一下，多出来的只有 fork 那几行。
用 socketlab lesson check 5.2 测它的 QPS 和延迟，再测测你自己的服务器。
"""
from socket import *
from select import epoll, EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP
import os

ADDR = ("0.0.0.0", 8888)

# 【1】准备监听套接字，设置为非阻塞
sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(ADDR)
sockfd.listen(128)
sockfd.setblocking(False)

# 多进程：再 fork 出 (CPU 核数 - 1) 个子进程，大家共用这一个监听套接字
for i in range(os.cpu_count() - 1):
    if os.fork() == 0:
        break  # 子进程不再继续 fork

conns = {}   # fileno -> 连接套接字
outbuf = {}  # fileno -> 还没发出去的数据（非阻塞 send 可能只发出一部分）
p = epoll()  # 每个进程一个自己的 epoll 对象（fork 之后再创建）
p.register(sockfd, EPOLLIN)


def accept_client():
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        return  # 新连接已经被别的进程接走了
    print("Connect from", addr)
    connfd.setblocking(False)
    conns[connfd.fileno()] = connfd
    outbuf[connfd.fileno()] = b""
    p.register(connfd, EPOLLIN)


def close_client(fd):
    print("客户端退出", fd)
    p.unregister(fd)  # 先取消关注，再关闭
    conns.pop(fd).close()
    del outbuf[fd]


def read_client(fd):
    try:
        data = conns[fd].recv(4096)
    except ConnectionError:  # 客户端突然断开（RST）
        data = b""
    if not data:
        close_client(fd)
        return
    outbuf[fd] += data  # 回显：收到的数据排队等着发回去
    p.modify(fd, EPOLLIN | EPOLLOUT)  # 有数据要发：也关注写


def write_client(fd):
    try:
        n = conns[fd].send(outbuf[fd])
    except ConnectionError:
        close_client(fd)
        return
    outbuf[fd] = outbuf[fd][n:]  # 只去掉真正发出去的部分
    if not outbuf[fd]:
        p.modify(fd, EPOLLIN)  # 发完了：不再关注写


print("进程", os.getpid(), "Listen the port %d..." % ADDR[1])
while True:
    # 【2】要监控的IO已经用 register/modify 提交给 epoll 对象（保存在内核里）
    # 【3】阻塞等待，直到有IO就绪
    events = p.poll()
    # 【4】【5】遍历就绪的IO，逐个处理。先发送再接收：客户端发完数据马上关闭时，回显也不会丢
    for fd, event in events:
        if fd == sockfd.fileno():
            accept_client()
            continue
        if event & EPOLLOUT:
            write_client(fd)
        if fd in conns and event & (EPOLLIN | EPOLLERR | EPOLLHUP):
            read_client(fd)
