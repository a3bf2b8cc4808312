"""
典型错误：绑定 127.0.0.1。
只有同一台主机上的客户端能访问，其他主机发来的消息根本到不了它。
"""
from socket import *

sockfd = socket(AF_INET, SOCK_DGRAM)
sockfd.bind(("127.0.0.1", 8888))

while True:
    data, addr = sockfd.recvfrom(1024)
    print(addr, "接收到:", data.decode())
    sockfd.sendto(b"Thanks", addr)
