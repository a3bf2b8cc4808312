"""
错误示范：边缘触发（EPOLLET），可每个事件只 recv 一次。
边缘触发只在“新数据到来”时提醒一次：缓冲区里剩下的数据不会再被提醒，
客户端发来一大段数据之后就再也等不到剩下的回复。
正确做法：边缘触发时一直 recv，直到抛出 BlockingIOError。
（和 epoll_server.py 比较：diff epoll_server.py wrong/et_read_once.py）
"""
from socket import *
from select import epoll, EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLET

ADDR = ("0.0.0.0", 8888)

# 【1】准备监听套接字，设置为非阻塞
sockfd = socket()
sockfd.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sockfd.bind(ADDR)
sockfd.listen(128)
sockfd.setblocking(False)

conns = {}   # fileno -> 连接套接字
outbuf = {}  # fileno -> 还没发出去的数据（非阻塞 send 可能只发出一部分）
p = epoll()
p.register(sockfd, EPOLLIN)


def accept_client():
    try:
        connfd, addr = sockfd.accept()
    except BlockingIOError:
        return  # 客户端连上又马上走了
    print("Connect from", addr)
    connfd.setblocking(False)
    conns[connfd.fileno()] = connfd
    outbuf[connfd.fileno()] = b""
    p.register(connfd, EPOLLIN | EPOLLOUT | EPOLLET)  # 边缘触发：只注册一次


def close_client(fd):
    print("客户端退出", fd)
    p.unregister(fd)  # 先取消关注，再关闭
    conns.pop(fd).close()
    del outbuf[fd]


def read_client(fd):
    try:
        data = conns[fd].recv(4096)  # 只读一次：剩下的数据不会再有事件提醒
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
    outbuf[fd] = outbuf[fd][n:]


print("Listen the port %d..." % ADDR[1])
while True:
    # 【2】要监控的IO已经用 register/modify 提交给 epoll 对象（保存在内核里）
    # 【3】阻塞等待，直到有IO就绪
    events = p.poll()
    # 【4】【5】遍历就绪的IO，逐个处理
    for fd, event in events:
        if fd == sockfd.fileno():
            accept_client()
        elif event & (EPOLLIN | EPOLLERR | EPOLLHUP):
            read_client(fd)
        if fd in conns and event & EPOLLOUT and outbuf[fd]:
            write_client(fd)
