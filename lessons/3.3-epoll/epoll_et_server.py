"""
IO多路复用：epoll 边缘触发（EPOLLET）回显服务器——练习 2 的一种答案

和 epoll_server.py 比较（diff 一下）：每个连接只注册一次 EPOLLIN | EPOLLOUT | EPOLLET，
之后不再 modify；代价是边缘触发只提醒一次，所以每次事件都要
一直 recv 到 BlockingIOError，一直 send 到发完或 BlockingIOError。
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
    closed = False
    while True:  # 边缘触发：一直读，直到没有数据（BlockingIOError）
        try:
            data = conns[fd].recv(4096)
        except BlockingIOError:
            break
        except ConnectionError:  # 客户端突然断开（RST）
            data = b""
        if not data:
            closed = True  # 客户端关闭了：先把回显发出去，再关闭
            break
        outbuf[fd] += data  # 回显：收到的数据排队等着发回去
    write_client(fd)  # 马上试着发：不会再有“可写”的提醒了，除非发送缓冲区满过
    if closed and fd in conns:
        close_client(fd)


def write_client(fd):
    while outbuf[fd]:  # 边缘触发：一直发，直到发完或发送缓冲区满（BlockingIOError）
        try:
            n = conns[fd].send(outbuf[fd])
        except BlockingIOError:
            return  # 缓冲区腾出空间时，会再来一次 EPOLLOUT
        except ConnectionError:
            close_client(fd)
            return
        outbuf[fd] = outbuf[fd][n:]  # 只去掉真正发出去的部分


print("Listen the port %d..." % ADDR[1])
while True:
    # 【2】要监控的IO已经用 register 提交给 epoll 对象（保存在内核里）
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
