"""
2.2.3 孤儿和僵尸：僵尸进程的处理方法
子进程先于父进程退出，父进程又没有处理子进程的退出状态，子进程就成为僵尸进程。
避免僵尸进程：1. 使用 join() 回收；2. 在父进程中 signal(SIGCHLD, SIG_IGN)，交给系统处理
"""
from multiprocessing import Process
from signal import *
import os

# 父进程忽略子进程退出，交给系统处理
signal(SIGCHLD, SIG_IGN)


def worker(name):
    print("%s PID=%d 干完了" % (name, os.getpid()))


for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i,))
    p.start()

# 子进程都结束了，父进程还在运行：笔记里用 while True: pass，这里等待输入，不占 CPU
input("父进程还在运行，按回车结束\n")
