"""
典型错误：不管命令行给的是什么地址，都绑定 0.0.0.0。
程序"能用"，但 127.0.0.1 和本机 IP 两种绑定的区别就看不到了。
"""
from socket import *

sock = socket()
sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", 8888))
sock.listen(5)

while True:
    connfd, addr = sock.accept()
    connfd.send(b"hello\n")
    connfd.close()
