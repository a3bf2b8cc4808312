"""
web_server.py  一个最小的 WebServer：select IO 多路复用，同时为多个浏览器服务
用法：python3 web_server.py        网页在 ./static，端口 8000
  1. 接收客户端（浏览器）请求
  2. 解析请求，根据请求内容组织数据
  3. 把数据按 HTTP 响应格式发回给浏览器
"""
import re
from select import select
from socket import *

# 文件扩展名 -> Content-Type
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
         ".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif"}


class WebServer:
    def __init__(self, host="0.0.0.0", port=8000, html="./static"):
        self.host = host
        self.port = port
        self.html = html
        self.rlist = []
        self.wlist = []
        self.unsent = {}  # 连接套接字 -> 还没有发出去的响应
        self.create_socket()
        self.bind()

    def create_socket(self):
        self.sock = socket()
        self.sock.setblocking(False)

    def bind(self):
        self.sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        self.sock.bind((self.host, self.port))

    def start(self):
        self.sock.listen(5)
        self.rlist.append(self.sock)
        print("Listen the port", self.port)
        while True:
            rs, ws, xs = select(self.rlist, self.wlist, [])
            for r in rs:
                if r is self.sock:
                    connfd, addr = self.sock.accept()
                    connfd.setblocking(False)
                    self.rlist.append(connfd)
                else:
                    self.handle(r)
            for w in ws:
                self.send_more(w)

    def handle(self, connfd):
        # 读请求：请求行里的请求内容 (路径)
        self.rlist.remove(connfd)
        try:
            request = connfd.recv(1024 * 10).decode()
        except (ConnectionError, UnicodeDecodeError):
            request = ""
        result = re.match(r"[A-Z]+\s+(?P<info>/\S*)", request)
        if not result:
            connfd.close()
            return
        info = result.group("info")
        print("请求内容：", info)
        # 响应先放进缓冲区，等套接字可写时再发
        self.unsent[connfd] = self.response(info)
        self.wlist.append(connfd)

    def response(self, info):
        if info == "/":
            info = "/index.html"
        filename = self.html + info
        try:
            if ".." in info:  # 不许跳出网页目录
                raise OSError
            with open(filename, "rb") as fd:
                data = fd.read()
        except OSError:
            head = "HTTP/1.1 404 Not Found\r\n"
            data = "<h1>Not Found</h1>".encode()
            info = ".html"
        else:
            head = "HTTP/1.1 200 OK\r\n"
        ext = info[info.rfind("."):]
        head += "Content-Type: %s\r\n" % TYPES.get(ext, "application/octet-stream")
        head += "Content-Length: %d\r\n" % len(data)
        head += "Connection: close\r\n"
        head += "\r\n"
        return head.encode() + data

    def send_more(self, connfd):
        # 非阻塞的 send 可能只发出一部分：剩下的留到下次可写时再发
        try:
            n = connfd.send(self.unsent[connfd])
        except ConnectionError:
            n = len(self.unsent[connfd])
        self.unsent[connfd] = self.unsent[connfd][n:]
        if not self.unsent[connfd]:
            del self.unsent[connfd]
            self.wlist.remove(connfd)
            connfd.close()


if __name__ == '__main__':
    httpd = WebServer(host="0.0.0.0", port=8000, html="./static")
    httpd.start()
