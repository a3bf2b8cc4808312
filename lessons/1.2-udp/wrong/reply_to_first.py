"""
典型错误：把第一个客户端的地址当成"连接"记下来。
UDP 没有连接，每条回复都要发给这次 recvfrom 返回的地址，
否则第二个客户端永远收不到回复。
"""
from socket import *

sockfd = socket(AF_INET, SOCK_DGRAM)
sockfd.bind(("0.0.0.0", 8888))

client = None
while True:
    data, addr = sockfd.recvfrom(1024)
    if client is None:
        client = addr
    print(addr, "接收到:", data.decode())
    sockfd.sendto(b"Thanks", client)
