"""
典型错误：忘了 join：父进程不等子进程，先打印了“全部结束”
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

for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i, 1))
    p.start()

print("全部结束")
