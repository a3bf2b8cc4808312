"""
典型错误：生产者没有存入结束标志，消费者不知道消息已经取完了。
消费者在 q.get() 永远阻塞，父进程在 fd1.recv() 永远等待：程序结束不了。
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
