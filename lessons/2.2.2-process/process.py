"""
2.2.2 多进程编程：Process、start、join、daemon
1. 将需要新进程执行的事件封装为函数
2. 通过 Process 类创建进程对象，关联函数，args 传参
3. 通过进程对象调用 start 启动进程
4. 通过进程对象调用 join 回收进程
"""
from multiprocessing import Process
from time import sleep
import os


# 子进程执行的函数：带参数
def worker(name, sec):
    print("%s 开始 PID=%d PPID=%d" % (name, os.getpid(), os.getppid()))
    sleep(sec)
    print("%s 结束" % name)


# 守护进程执行的函数：一直运行
def guard():
    print("守护进程 PID=%d" % os.getpid())
    while True:
        sleep(1)


d = Process(target=guard)
d.daemon = True  # 随父进程的退出而结束，要在 start() 之前设置
d.start()

jobs = []
for i in range(1, 4):
    p = Process(target=worker, args=("w%d" % i, 1))
    jobs.append(p)
    p.start()  # 进程诞生，运行 worker

# 统一回收：阻塞等待每个子进程结束
for p in jobs:
    p.join()

print("全部结束")
