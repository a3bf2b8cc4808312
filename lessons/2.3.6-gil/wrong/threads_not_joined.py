"""
错误示范：线程 start 之后没有 join 就停表。
打印出来的“线程”时间几乎是 0，好像 4 个线程一下子就做完了——其实它们才刚开始，
还在后台运行，和后面的进程抢 CPU。计时一定要等所有线程结束（join）之后。
"""
from threading import Thread
from multiprocessing import Process
import os
import time

N = 15000000


def count(n):
    while n > 0:
        n -= 1


if __name__ == "__main__":
    print("CPU 核数：%d" % os.cpu_count())

    start = time.time()
    for i in range(4):
        count(N)
    print("串行 serial: %.2f 秒" % (time.time() - start))

    start = time.time()
    for i in range(4):
        Thread(target=count, args=(N,)).start()  # 没有 join
    print("线程 threads: %.2f 秒" % (time.time() - start))

    start = time.time()
    jobs = [Process(target=count, args=(N,)) for i in range(4)]
    for p in jobs:
        p.start()
    for p in jobs:
        p.join()
    print("进程 processes: %.2f 秒" % (time.time() - start))
