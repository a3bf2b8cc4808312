"""
bind_server.py  同一个 TCP 服务端，用不同的地址绑定
用法：python3 bind_server.py 地址
    127.0.0.1   只有同一台主机能用 127.0.0.1 访问
    本机IP      任何主机都能用这个 IP 访问 (ip addr / ifconfig 查看)
    0.0.0.0     任何主机用本机的任何地址都能访问
"""
import sys
from socket import *

# 绑定的地址由命令行给出，端口固定 8888
ADDR = (sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0", 8888)

sock = socket()
sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sock.bind(ADDR)
sock.listen(5)
print("绑定在", ADDR)

while True:
    connfd, addr = sock.accept()
    print("Connect from", addr)
    # 告诉客户端：它从哪里来，服务端绑定在哪里
    connfd.send(("你好 %s，我绑定在 %s:%d\n" % (addr[0], ADDR[0], ADDR[1])).encode())
    connfd.close()
