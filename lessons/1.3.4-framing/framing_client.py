"""
framing_client.py  按消息边界 (\n) 接收：一次 recv 不等于一条消息
用法：python3 framing_client.py 服务端IP
"""
import sys
from socket import *

ADDR = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", 8888)

sock = socket()
sock.connect(ADDR)

buffer = b""  # 收到但还不成一条完整消息的字节
while True:
    data = sock.recv(1024)
    # 服务端关闭连接
    if not data:
        break
    buffer += data
    # 缓冲区里可能有多条完整的消息，也可能一条都没有
    while b"\n" in buffer:
        line, buffer = buffer.split(b"\n", 1)
        print("收到:", line.decode())

sock.close()
