"""
GIL 问题（笔记 2.3.6）：计算密集的任务，多线程不比单线程快，多进程才快

同一个只用 CPU 的函数 count(N) 做 4 次，分三种做法计时：
  串行：一次一个，做 4 次
  线程：4 个线程同时做
  进程：4 个进程同时做
GIL（全局解释器锁）：同一时刻只有一个线程在执行 Python 代码，所以 4 个线程和串行一样慢；
每个进程有自己的解释器（和自己的 GIL），在多核 CPU 上真的同时运行。
"""
from threading import Thread
from multiprocessing import Process
import os
import time

N = 15000000  # 数到 0：纯计算，没有阻塞


def count(n):
    while n > 0:
        n -= 1


# 4 个线程（Thread）或 4 个进程（Process）同时做 count(N)，等它们全部结束
def together(kind):
    jobs = []
    for i in range(4):
        j = kind(target=count, args=(N,))
        jobs.append(j)
        j.start()
    for j in jobs:
        j.join()


if __name__ == "__main__":
    print("CPU 核数：%d" % os.cpu_count())

    start = time.time()
    for i in range(4):
        count(N)
    print("串行 serial: %.2f 秒" % (time.time() - start))

    start = time.time()
    together(Thread)
    print("线程 threads: %.2f 秒" % (time.time() - start))

    start = time.time()
    together(Process)
    print("进程 processes: %.2f 秒" % (time.time() - start))
