"""
典型错误：不处理连接异常。
客户端突然消失 (RST) 时，recv 抛出 ConnectionResetError
(send 则是 BrokenPipeError)，整个服务端随之退出。
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
        data = connfd.recv(1024)
        if not data:
            break
        connfd.send(b"Thanks")
    connfd.close()
