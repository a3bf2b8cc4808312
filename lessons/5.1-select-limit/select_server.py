"""
select 的上限（并发技术探讨）：超过 1024 个文件描述符时干脆地拒绝

select 只能监控编号小于 1024（FD_SETSIZE）的文件描述符。3.3 的 select 服务器
一旦 accept 到编号 >= 1024 的连接，下一次 select 就抛出 ValueError，整个服务器退出，
所有客户端一起掉线。这里多了一步：新连接的编号到了上限，就告诉它“满了”并关闭，
已经连上的客户端照常服务。（和 3.3-select/select_server.py 只差几行：diff 一下）
"""
from socket import *
from select import select

ADDR = ("0.0.0.0", 8888)
FD_SETSIZE = 1024  # select 能监控的文件描述符编号上限

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
    if connfd.fileno() >= FD_SETSIZE:
        # 满了：select 监控不了它，告诉客户端之后关闭，服务器继续运行
        print("客户端太多，拒绝", addr)
        try:
            connfd.send("服务器已满，请稍后再试\n".encode())
        except ConnectionError:
            pass  # 客户端已经走了
        connfd.close()
        return
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
