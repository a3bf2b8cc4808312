"""
udp_client.py  udp套接字流程客户端演示
用法：python3 udp_client.py 服务端IP
"""
import sys
from socket import *

# 访问服务器的地址
ADDR = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", 8888)

# 创建udp套接字
udp_socket = socket(AF_INET, SOCK_DGRAM)
# UDP 可能丢包：最多等 2 秒回复
udp_socket.settimeout(2)

# 循环发送接收消息
while True:
    msg = input(">>")
    # 结束循环
    if not msg:
        break
    udp_socket.sendto(msg.encode(), ADDR)
    try:
        msg, addr = udp_socket.recvfrom(1024)
    except timeout:
        print("2 秒内没有回复：消息或回复丢失了，或者服务端没有运行")
        continue
    print("从服务端收到:", msg.decode())

# 关闭套接字
udp_socket.close()
