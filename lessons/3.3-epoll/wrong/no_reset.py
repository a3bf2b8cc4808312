"""
错误示范：没有想到客户端会突然消失。
客户端不正常退出（进程被杀、断网后重连）时对方发来 RST，recv/send 抛出
ConnectionResetError 或 BrokenPipeError；没有捕获，整个服务器就退出了，所有客户端一起掉线。
（和 epoll_server.py 比较：diff epoll_server.py wrong/no_reset.py）
"""
from socket import *
from select import epoll, EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP

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
    p.register(connfd, EPOLLIN)


def close_client(fd):
    print("客户端退出", fd)
    p.unregister(fd)  # 先取消关注，再关闭
    conns.pop(fd).close()
    del outbuf[fd]


def read_client(fd):
    data = conns[fd].recv(4096)  # 客户端发来 RST 时抛出异常
    if not data:
        close_client(fd)
        return
    outbuf[fd] += data  # 回显：收到的数据排队等着发回去
    p.modify(fd, EPOLLIN | EPOLLOUT)  # 有数据要发：也关注写


def write_client(fd):
    n = conns[fd].send(outbuf[fd])
    outbuf[fd] = outbuf[fd][n:]  # 只去掉真正发出去的部分
    if not outbuf[fd]:
        p.modify(fd, EPOLLIN)  # 发完了：不再关注写


print("Listen the port %d..." % ADDR[1])
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
