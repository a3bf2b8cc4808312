"""
典型错误：以为一次 recv 就能收完整个响应。
大一点的文件会分成很多个报文段到达，只收一次，文件就不完整。
"""
import sys
from socket import *

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
request = "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)

sock = socket()
sock.connect((host, port))
sock.send(request.encode())
response = sock.recv(65536)
sock.close()

head, body = response.split(b"\r\n\r\n", 1)
print(head.decode())
filename = path.split("/")[-1] or "index.html"
with open(filename, "wb") as f:
    f.write(body)
