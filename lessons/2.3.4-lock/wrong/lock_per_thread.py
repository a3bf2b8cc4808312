"""
错误示范：每个线程用自己的锁。
锁是在线程函数里创建的，4 个线程各有一把：每个线程都能马上锁上自己的锁，
谁也挡不住谁，和没有加锁一样。大家要用同一把锁（在线程外面创建一次）。
"""
from threading import Thread, Lock

balance = 0


def deposit(slips):
    global balance
    lock = Lock()  # 每个线程一把新锁：互斥不了别的线程
    for s in slips:
        with lock:
            balance += int(s)


slips = open("slips.txt").read().split()

jobs = []
for i in range(4):
    t = Thread(target=deposit, args=(slips[i::4],))
    jobs.append(t)
    t.start()

[i.join() for i in jobs]
print("存款单 %d 张，余额 %d 元" % (len(slips), balance))
