"""
典型错误：不处理文件不存在的情况。
请求一个不存在的网页，open 抛出 FileNotFoundError，整个服务端就退出了，
而不是回复 404 Not Found。
"""
from select import select
from socket import *

sock = socket()
sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", 8000))
sock.listen(5)
rlist = [sock]

while True:
    rs, ws, xs = select(rlist, [], [])
    for r in rs:
        if r is sock:
            connfd, addr = sock.accept()
            rlist.append(connfd)
            continue
        rlist.remove(r)
        request = r.recv(10240).decode()
        parts = request.split()
        if len(parts) < 2:
            r.close()
            continue
        info = "/index.html" if parts[1] == "/" else parts[1]
        with open("./static" + info, "rb") as f:
            data = f.read()
        r.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data)).encode() + data)
        r.close()
