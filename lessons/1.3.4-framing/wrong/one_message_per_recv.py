"""
典型错误：有缓冲区，但每次 recv 只取出一条消息。
粘在一起的其余消息留在缓冲区里，连接关闭时就丢掉了。
"""
import sys
from socket import *

sock = socket()
sock.connect((sys.argv[1], 8888))

buffer = b""
while True:
    data = sock.recv(1024)
    if not data:
        break
    buffer += data
    if b"\n" in buffer:
        line, buffer = buffer.split(b"\n", 1)
        print("收到:", line.decode())

sock.close()
