"""
典型错误：不判断 recv 返回的空字节串。
客户端退出后 recv 立即返回 b''，这个循环就不停地空转，
下一个客户端永远等不到 accept。
"""
from socket import *

tcp_socket = socket(AF_INET, SOCK_STREAM)
tcp_socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
tcp_socket.bind(("0.0.0.0", 8888))
tcp_socket.listen(5)

while True:
    connfd, addr = tcp_socket.accept()
    print("Connect from", addr)
    while True:
        try:
            data = connfd.recv(1024)
            connfd.send(b"Thanks")
        except ConnectionError:
            continue
