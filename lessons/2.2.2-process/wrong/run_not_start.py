"""
典型错误：调用 p.run() 而不是 p.start()：worker 在父进程里一个接一个地运行，没有创建子进程
"""
from multiprocessing import Process
from time import sleep
import os


def worker(name, sec):
    print("%s 开始 PID=%d PPID=%d" % (name, os.getpid(), os.getppid()))
    sleep(sec)
    print("%s 结束" % name)


def guard():
    print("守护进程 PID=%d" % os.getpid())
    while True:
        sleep(1)


d = Process(target=guard)
d.daemon = True
d.start()

jobs = []
for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i, 1))
    jobs.append(p)
    p.run()

print("全部结束")
