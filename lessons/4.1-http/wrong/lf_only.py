"""
典型错误：请求的每一行只用 \n 结尾。
HTTP 规定行以 \r\n 结尾、以一个空行 (\r\n\r\n) 结束请求头，
严格的服务端会回复 400 Bad Request。
"""
import sys
from socket import *

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
request = "GET %s HTTP/1.1\nHost: %s\n\n" % (path, host)

sock = socket()
sock.connect((host, port))
sock.send(request.encode())
response = b""
while True:
    data = sock.recv(4096)
    if not data:
        break
    response += data
sock.close()

head, _, body = response.partition(b"\r\n\r\n")
print(head.decode())
filename = path.split("/")[-1] or "index.html"
with open(filename, "wb") as f:
    f.write(body)
