"""
典型错误：没有设置 SO_REUSEADDR。
服务端刚退出时，旧连接还处在 TIME_WAIT，立即重启会报
OSError: [Errno 98] Address already in use
"""
from socket import *

tcp_socket = socket(AF_INET, SOCK_STREAM)
tcp_socket.bind(("0.0.0.0", 8888))
tcp_socket.listen(5)

while True:
    connfd, addr = tcp_socket.accept()
    print("Connect from", addr)
    while True:
        try:
            data = connfd.recv(1024)
        except ConnectionError:
            break
        if not data:
            break
        try:
            connfd.send(b"Thanks")
        except ConnectionError:
            break
    connfd.close()
