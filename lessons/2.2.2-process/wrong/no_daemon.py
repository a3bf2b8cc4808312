"""
典型错误：忘了 daemon = True：父进程退出时要等这个永不结束的子进程，整个程序结束不了
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
d.start()

jobs = []
for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i, 1))
    jobs.append(p)
    p.start()

for p in jobs:
    p.join()

print("全部结束")
