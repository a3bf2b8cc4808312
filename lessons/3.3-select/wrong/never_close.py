"""
错误示范：recv 返回 b''（客户端已经关闭）时，既不关闭也不移除这个套接字。
它每次都被 select 报告为“可读”，循环空转（CPU 100%），文件描述符越积越多，
服务器上留下一串 CLOSE_WAIT（ss -tn 可以看到）。
（和 select_server.py 比较：diff select_server.py wrong/never_close.py）
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
        return  # 少了 close_client(fd)：关闭并不再关注
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
