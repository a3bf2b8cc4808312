"""
错误示范：进程一个一个地做。
每个进程 start() 之后马上 join()，等它做完才创建下一个：4 个进程从来没有同时运行，
“多进程”和串行一样慢——这不是 GIL 的错，是程序没有让它们同时做。
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
    jobs = [Thread(target=count, args=(N,)) for i in range(4)]
    for t in jobs:
        t.start()
    for t in jobs:
        t.join()
    print("线程 threads: %.2f 秒" % (time.time() - start))

    start = time.time()
    for i in range(4):
        p = Process(target=count, args=(N,))
        p.start()
        p.join()  # 等这个进程做完才开始下一个
    print("进程 processes: %.2f 秒" % (time.time() - start))
