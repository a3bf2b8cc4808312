"""
IO多路复用：select 回显服务器（笔记 3.3）

一个进程、一个线程同时服务所有客户端：select 告诉我们哪些套接字就绪，
只处理就绪的那些，所以谁也不会被一个不说话的客户端卡住。
和 poll_server.py、epoll_server.py 逐行对应：diff 一下，不同的只有监控IO的方法。
"""
from socket import *
from select import select

ADDR = ("0.0.0.0", 8888)

# 【1】准备监听套接字，设置为非阻塞
sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(ADDR)
sockfd.listen(128)
sockfd.setblocking(False)

conns = {}   # fileno -> 连接套接字
outbuf = {}  # fileno -> 还没发出去的数据（非阻塞 send 可能只发出一部分）


def accept_client():
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        return  # 客户端连上又马上走了
    print("Connect from", addr)
    connfd.setblocking(False)
    conns[connfd.fileno()] = connfd
    outbuf[connfd.fileno()] = b""


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


def write_client(fd):
    try:
        n = conns[fd].send(outbuf[fd])
    except ConnectionError:
        close_client(fd)
        return
    outbuf[fd] = outbuf[fd][n:]  # 只去掉真正发出去的部分


print("Listen the port %d..." % ADDR[1])
while True:
    # 【2】提交要监控的IO：监听套接字和所有连接（读），还有数据没发完的连接（写）
    rlist = [sockfd.fileno()] + list(conns)
    wlist = [fd for fd in conns if outbuf[fd]]
    # 【3】阻塞等待，直到有IO就绪
    rs, ws, xs = select(rlist, wlist, [])
    # 【4】【5】遍历就绪的IO，逐个处理。先发送再接收：客户端发完数据马上关闭时，回显也不会丢
    for fd in ws:
        if fd in conns:
            write_client(fd)
    for fd in rs:
        if fd == sockfd.fileno():
            accept_client()
        elif fd in conns:
            read_client(fd)
