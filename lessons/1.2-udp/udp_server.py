"""
udp_server.py  udp套接字服务端流程
重点代码
"""
from socket import *

# 创建udp套接字
sockfd = socket(AF_INET, SOCK_DGRAM)

# 绑定地址：0.0.0.0 表示其他主机也能访问
sockfd.bind(("0.0.0.0", 8888))

while True:
    # 接收消息：data 是字节串，addr 是发送方地址
    data, addr = sockfd.recvfrom(1024)
    print(addr, "接收到:", data.decode())
    # 发送消息：发回给这条消息的发送方
    n = sockfd.sendto(b"Thanks", addr)
    print("发送了%d bytes" % n)
