"""
http_get.py  用套接字手写一个 HTTP 请求，接收并解析响应
用法：python3 http_get.py 主机 端口 路径
例如：python3 http_get.py 10.77.1.20 8000 /index.html
"""
import sys
from socket import *

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]

# 请求行 + 请求头 + 空行，每行以 \r\n 结尾
request = "GET %s HTTP/1.1\r\n" % path
request += "Host: %s:%d\r\n" % (host, port)
request += "Connection: close\r\n"
request += "\r\n"

sock = socket()
sock.connect((host, port))
sock.send(request.encode())

# Connection: close —— 服务端发完响应就关闭连接，所以一直收到 recv 返回 b''
response = b""
while True:
    data = sock.recv(4096)
    if not data:
        break
    response += data
sock.close()

# 响应行 + 响应头 与 响应体 之间隔着一个空行
head, body = response.split(b"\r\n\r\n", 1)
print(head.decode())

# 响应体存入文件，文件名取路径的最后一段
filename = path.rstrip("/").split("/")[-1] or "index.html"
with open(filename, "wb") as f:
    f.write(body)
print("保存了 %d 字节到 %s" % (len(body), filename))
