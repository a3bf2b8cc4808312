"""
错误示范：关闭连接之前没有 p.unregister(fd)。
poll 对象还记着这个已经关闭的描述符，每次都立刻报告 POLLNVAL，循环空转（CPU 100%）。
（和 poll_server.py 比较：diff poll_server.py wrong/no_unregister.py）
"""
from socket import *
from select import poll, POLLIN, POLLOUT, POLLERR, POLLHUP

ADDR = ("0.0.0.0", 8888)

# 【1】准备监听套接字，设置为非阻塞
sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(ADDR)
sockfd.listen(128)
sockfd.setblocking(False)

conns = {}   # fileno -> 连接套接字
outbuf = {}  # fileno -> 还没发出去的数据（非阻塞 send 可能只发出一部分）
p = poll()
p.register(sockfd, POLLIN)


def accept_client():
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        return  # 客户端连上又马上走了
    print("Connect from", addr)
    connfd.setblocking(False)
    conns[connfd.fileno()] = connfd
    outbuf[connfd.fileno()] = b""
    p.register(connfd, POLLIN)


def close_client(fd):
    print("客户端退出", fd)
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
    p.modify(fd, POLLIN | POLLOUT)  # 有数据要发：也关注写


def write_client(fd):
    try:
        n = conns[fd].send(outbuf[fd])
    except ConnectionError:
        close_client(fd)
        return
    outbuf[fd] = outbuf[fd][n:]  # 只去掉真正发出去的部分
    if not outbuf[fd]:
        p.modify(fd, POLLIN)  # 发完了：不再关注写


print("Listen the port %d..." % ADDR[1])
while True:
    # 【2】要监控的IO已经用 register/modify 提交给 poll 对象
    # 【3】阻塞等待，直到有IO就绪
    events = p.poll()
    # 【4】【5】遍历就绪的IO，逐个处理。先发送再接收：客户端发完数据马上关闭时，回显也不会丢
    for fd, event in events:
        if fd == sockfd.fileno():
            accept_client()
            continue
        if event & POLLOUT:
            write_client(fd)
        if fd in conns and event & (POLLIN | POLLERR | POLLHUP):
            read_client(fd)
