"""
错误示范：创建子进程后马上 join 等它结束。
父进程要等这个客户端走了才回去 accept，其实还是一次只服务一个客户端。
"""
from socket import *
from multiprocessing import Process


def handle(connfd):
    while True:
        data = connfd.recv(1024)
        if not data:
            break
        connfd.sendall(data)
    connfd.close()


def main():
    s = socket()
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8888))
    s.listen(128)
    while True:
        c, addr = s.accept()
        print("Connect from", addr)
        p = Process(target=handle, args=(c,))
        p.start()
        c.close()
        p.join()  # 等这个客户端走了才继续：第二个客户端只能排队


if __name__ == "__main__":
    main()
