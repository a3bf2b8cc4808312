"""
典型错误：用全局变量（列表）在进程间传消息。
每个子进程有自己独立的内存空间：生产者往自己的列表里加，消费者的列表一直是空的。
"""
from multiprocessing import Process, Pipe
import os
import sys

N = int(sys.argv[1])

messages = []      # 以为是共享的
fd1, fd2 = Pipe()


def producer():
    print("生产者 PID=%d" % os.getpid())
    for i in range(1, N + 1):
        messages.append("消息%d" % i)


def consumer():
    print("消费者 PID=%d" % os.getpid())
    count = 0
    for msg in messages:
        print("收到 %s" % msg)
        count += 1
    fd2.send(count)


p1 = Process(target=producer)
p2 = Process(target=consumer)
p1.start()
p1.join()
p2.start()
print("父进程：消费者一共收到 %d 条" % fd1.recv())
p2.join()
