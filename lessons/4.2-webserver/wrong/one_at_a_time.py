"""
典型错误：阻塞套接字，一次只服务一个客户端。
一个连上来却不发请求的客户端，会让服务端卡在 recv 上，
其他所有浏览器都只能等着。
"""
from socket import *

sock = socket()
sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", 8000))
sock.listen(5)

while True:
    connfd, addr = sock.accept()
    request = connfd.recv(10240).decode()
    parts = request.split()
    info = parts[1] if len(parts) > 1 else "/"
    if info == "/":
        info = "/index.html"
    try:
        with open("./static" + info, "rb") as f:
            data = f.read()
        head = "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data)
    except OSError:
        data = b"<h1>Not Found</h1>"
        head = "HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n" % len(data)
    connfd.sendall(head.encode() + data)
    connfd.close()
