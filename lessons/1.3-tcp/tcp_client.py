"""
tcp_client.py  TCP 客户端：连接一次，循环发送消息
用法：python3 tcp_client.py 服务端IP
"""
import sys
from socket import *

# 服务器地址 (命令行给出 IP，默认本机)
ADDR = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", 8888)

# 创建tcp套接字
tcp_socket = socket()
# 发起连接 (三次握手)
tcp_socket.connect(ADDR)

# 循环发送接收消息
while True:
    msg = input(">>")
    # 输入空，结束循环
    if not msg:
        break
    tcp_socket.send(msg.encode())
    data = tcp_socket.recv(1024)
    # 服务端退出，recv 返回空字节串
    if not data:
        print("服务端已断开")
        break
    print("从服务器收到:", data.decode())

# 关闭套接字 (四次挥手)
tcp_socket.close()
