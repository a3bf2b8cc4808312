"""
错误示范：没有加锁。
窗口先看一眼下一张票的号码，卖 0.1 秒，再把票数减 1。
这 0.1 秒里其他窗口看到的是同一个号码：同一张票卖了好几次，有的票没有卖出，
最后票数还会减成负数（卖出了不存在的票）。
"""
from threading import Thread
from time import sleep

TOTAL = 500
count = TOTAL  # 剩余票数


def sell(w):
    global count
    while count > 0:
        t = TOTAL - count + 1  # 下一张票的号码
        sleep(0.1)  # 卖一张票需要 0.1 秒
        print("%s 窗口卖出：T%d" % (w, t))
        count -= 1


jobs = []
for i in range(1, 11):
    t = Thread(target=sell, args=("w%d" % i,))
    jobs.append(t)
    t.start()

[i.join() for i in jobs]
print("票已卖完")
