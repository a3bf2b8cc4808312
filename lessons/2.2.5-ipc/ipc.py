"""
2.2.5 进程间通信：消息队列 Queue 和管道 Pipe
进程间空间独立，资源不共享，传数据要用专门的方法。
生产者进程把 N 条消息存入消息队列，最后存入 None 表示没有了；
消费者进程从消息队列取出消息，取到 None 就结束，再通过管道告诉父进程一共收到多少条。
运行：python3 ipc.py 10
"""
from multiprocessing import Process, Queue, Pipe
import os
import sys

N = int(sys.argv[1])

q = Queue()        # 消息队列（在父进程中创建，子进程都能用）
fd1, fd2 = Pipe()  # 管道的两端：父进程用 fd1，消费者用 fd2


def producer():
    print("生产者 PID=%d" % os.getpid())
    for i in range(1, N + 1):
        q.put("消息%d" % i)  # 存入消息队列
    q.put(None)             # 结束标志


def consumer():
    print("消费者 PID=%d" % os.getpid())
    count = 0
    while True:
        msg = q.get()  # 队列空时阻塞等待
        if msg is None:
            break
        print("收到 %s" % msg)
        count += 1
    fd2.send(count)  # 通过管道发给父进程


p1 = Process(target=producer)
p2 = Process(target=consumer)
p1.start()
p2.start()
print("父进程：消费者一共收到 %d 条" % fd1.recv())  # 管道里没有数据时阻塞
p1.join()
p2.join()
