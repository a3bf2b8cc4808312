"""
典型错误：照抄笔记的 while True: pass 让父进程继续运行。
没有僵尸，可父进程一直在空转，占满一个 CPU 核心，也没有办法让它正常结束。
"""
from multiprocessing import Process
from signal import *
import os

signal(SIGCHLD, SIG_IGN)


def worker(name):
    print("%s PID=%d 干完了" % (name, os.getpid()))


for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i,))
    p.start()

while True:
    pass
