"""
错误示范：新客户端一连上，就用阻塞的 recv 等它的第一条消息。
只要有一个客户端连上却不说话，整个服务器就卡在这一个 recv 上，所有人都在等。
（和 select_server.py 比较：diff select_server.py wrong/blocking_recv.py）
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
    data = connfd.recv(4096)  # 阻塞：先等这个新客户端说第一句话
    connfd.setblocking(False)
    conns[connfd.fileno()] = connfd
    outbuf[connfd.fileno()] = data


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
