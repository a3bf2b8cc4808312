"""
多线程并发模型（笔记 3.1.2）

步骤同多进程：每来一个客户端，就创建一个新的线程为它服务，
主线程继续等待其他客户端；客户端退出，线程函数返回，线程随之结束。
服务：回显，收到什么就原样发回什么。
"""
from socket import *
from threading import Thread
import sys

# 全局变量
HOST = "0.0.0.0"
PORT = 8888
ADDR = (HOST, PORT)


# 处理客户端请求（在分支线程中运行）
def handle(connfd):
    try:
        while True:
            data = connfd.recv(1024)
            if not data:
                break
            connfd.sendall(data)
    except ConnectionError:
        pass  # 客户端突然断开
    connfd.close()


def main():
    # tcp套接字
    s = socket()
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(ADDR)
    s.listen(128)

    print("Listen the port %d..." % PORT)

    # 循环接收客户端的连接请求
    while True:
        try:
            c, addr = s.accept()
            print("Connect from", addr)
        except KeyboardInterrupt:
            s.close()
            sys.exit("服务端退出")

        # 创建线程处理客户端连接（daemon：主线程退出时不用等它们）
        t = Thread(target=handle, args=(c,), daemon=True)
        t.start()


if __name__ == "__main__":
    main()
