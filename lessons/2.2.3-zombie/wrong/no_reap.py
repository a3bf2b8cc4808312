"""
典型错误：既不 join，也不处理 SIGCHLD。
子进程结束了，父进程还在运行却不回收它们：ps 里三个 Z 状态的 <defunct> 就是僵尸进程。
"""
from multiprocessing import Process
import os


def worker(name):
    print("%s PID=%d 干完了" % (name, os.getpid()))


for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i,))
    p.start()

input("父进程还在运行，按回车结束\n")
