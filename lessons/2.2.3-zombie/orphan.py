"""
2.2.3 孤儿进程：父进程先于子进程退出，子进程成为孤儿进程，被系统进程收养
进程树：主进程 -> 父进程 -> 子进程。父进程先退出，看子进程的 PPID 怎么变。
"""
from multiprocessing import Process
from time import sleep
import os


def child():
    for i in range(4):
        print("子进程 PID=%d PPID=%d" % (os.getpid(), os.getppid()))
        sleep(1)


def parent():
    p = Process(target=child)
    p.start()
    sleep(1.5)
    print("父进程 PID=%d 退出了，不等子进程" % os.getpid())
    os._exit(0)  # 立刻退出（正常退出时 multiprocessing 会等子进程结束）


p = Process(target=parent)
p.start()
p.join()
sleep(3)  # 主进程多留一会儿，看孤儿进程的 PPID
print("主进程 PID=%d 结束" % os.getpid())
