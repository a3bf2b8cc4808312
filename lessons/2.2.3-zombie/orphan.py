"""
2.2.3 孤儿进程：父进程先于子进程退出，子进程被系统进程收养
运行后用 ps 看子进程的 PPID：父进程退出前是父进程的 PID，之后是 1
"""
from multiprocessing import Process
from time import sleep
import os


def worker():
    for i in range(10):
        print("子进程 PID=%d PPID=%d" % (os.getpid(), os.getppid()))
        sleep(1)


p = Process(target=worker)
p.start()
sleep(3)
print("父进程 PID=%d 退出了" % os.getpid())
os._exit(0)  # 立刻退出：multiprocessing 正常退出时会等子进程，这里不等
