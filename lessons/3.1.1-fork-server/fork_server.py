"""
多进程并发模型（笔记 3.1.1）

每来一个客户端，就创建一个新的进程为它服务，主进程继续等待其他客户端。
客户端退出，对应的进程也结束；主进程回收它，不留僵尸进程。
服务：回显，收到什么就原样发回什么。
"""
from socket import *
from multiprocessing import Process, active_children
from signal import *
import sys

# 全局变量
HOST = "0.0.0.0"
PORT = 8888
ADDR = (HOST, PORT)


# 处理客户端请求（在子进程中运行）
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


# 子进程结束时系统发来 SIGCHLD：回收已经结束的子进程
def reap(signum, frame):
    active_children()


def main():
    # tcp套接字
    s = socket()
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(ADDR)
    s.listen(128)

    print("Listen the port %d..." % PORT)
    # 处理僵尸进程
    signal(SIGCHLD, reap)

    # 循环连接客户端
    while True:
        try:
            c, addr = s.accept()
            print("Connect from", addr)
        except KeyboardInterrupt:
            s.close()
            sys.exit("服务端退出！！")

        # 创建子进程处理客户端具体请求事务
        p = Process(target=handle, args=(c,))
        p.daemon = True  # 父进程退出时，子进程也一起结束
        p.start()
        # 子进程已经复制了一份连接套接字，父进程关闭自己的这一份
        c.close()


if __name__ == "__main__":
    main()
