"""
典型错误：在非阻塞套接字上只 send 一次（笔记里 WebServer 的写法）。
小网页没问题；大文件一次发不完，send 只发出一部分，
剩下的就丢了：浏览器收到的图片不完整。
"""
import re
from select import select
from socket import *


class WebServer:
    def __init__(self, host="0.0.0.0", port=8000, html="./static"):
        self.host, self.port, self.html = host, port, html
        self.rlist = []
        self.sock = socket()
        self.sock.setblocking(False)
        self.sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        self.sock.bind((host, port))

    def start(self):
        self.sock.listen(5)
        self.rlist.append(self.sock)
        while True:
            rs, ws, xs = select(self.rlist, [], [])
            for r in rs:
                if r is self.sock:
                    connfd, addr = self.sock.accept()
                    connfd.setblocking(False)
                    self.rlist.append(connfd)
                else:
                    try:
                        self.handle(r)
                    except:
                        pass
                    self.rlist.remove(r)
                    r.close()

    def handle(self, connfd):
        request = connfd.recv(1024 * 10).decode()
        result = re.match(r"[A-Z]+\s+(?P<info>/\S*)", request)
        if not result:
            return
        info = result.group("info")
        filename = self.html + ("/index.html" if info == "/" else info)
        try:
            fd = open(filename, "rb")
        except:
            response = b"HTTP/1.1 404 Not Found\r\nContent-Type:text/html\r\n\r\n<h1>Not Found</h1>"
        else:
            data = fd.read()
            response = ("HTTP/1.1 200 OK\r\nContent-Type:text/html\r\nContent-Length:%d\r\n\r\n" % len(data)).encode()
            response += data
        connfd.send(response)


if __name__ == '__main__':
    WebServer(port=8000, html="./static").start()
