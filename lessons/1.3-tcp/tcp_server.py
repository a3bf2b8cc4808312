"""
tcp_server.py  TCP 服务端：和一个客户端一直对话，直到它退出
重点代码
"""
from socket import *

# 服务端地址：0.0.0.0 表示本机所有的网络地址
ADDR = ("0.0.0.0", 8888)

# 创建TCP套接字
tcp_socket = socket(AF_INET, SOCK_STREAM)
# 端口复用：服务端重启后可以立即再绑定这个端口
tcp_socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
# 绑定地址
tcp_socket.bind(ADDR)
# 设置监听
tcp_socket.listen(5)

# 循环等待客户端连接 (阻塞函数)
while True:
    print("Waiting for connect ....")
    connfd, addr = tcp_socket.accept()
    print("Connect from", addr)
    # 循环收发消息
    while True:
        try:
            data = connfd.recv(1024)
        except ConnectionError:
            # 客户端异常断开 (ConnectionResetError)
            break
        # 客户端退出，recv 立即返回空字节串
        if not data:
            break
        print("收到:", data.decode())
        try:
            connfd.send(b"Thanks")
        except ConnectionError:
            # 对方已经不存在，send 会产生 BrokenPipeError
            break
    print(addr, "退出")
    connfd.close()
