"""
典型错误：总是绑定 127.0.0.1 ("在我的电脑上能用")。
同一台主机上一切正常，另一台主机却连不上。
"""
import sys
from socket import *

sock = socket()
sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 8888))
sock.listen(5)
print("要求绑定", sys.argv[1:], "实际绑定 127.0.0.1")

while True:
    connfd, addr = sock.accept()
    connfd.send(b"hello\n")
    connfd.close()
