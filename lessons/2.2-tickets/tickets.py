"""
模拟售票系统（笔记 2.2 练习1）

会场有入场票 500 张，记为 T1--T500，票必须按照顺序卖出。
10 个窗口（w1--w10）同时卖票，每个窗口卖一张票需要 0.1 秒。
用 10 个线程模拟 10 个窗口，完成售票过程。

count 是 10 个线程共享的“剩余票数”。“看还剩几张、取下一张票、票数减 1”
必须一次做完，中间不能让别的窗口插进来：这一段（临界区）要加锁。
卖票的 0.1 秒放在锁外面，10 个窗口才能同时卖。
"""
from threading import Thread, Lock
from time import sleep

TOTAL = 500
count = TOTAL  # 剩余票数（共享资源）
lock = Lock()


# 模拟每个窗口的卖票过程
def sell(w):
    global count
    while True:
        with lock:  # 临界区：同一时刻只有一个窗口能进来
            if count == 0:
                break
            t = TOTAL - count + 1  # 下一张票的号码
            count -= 1
            print("%s 窗口卖出：T%d" % (w, t))
        sleep(0.1)  # 卖一张票需要 0.1 秒（不占着锁）


jobs = []
for i in range(1, 11):
    t = Thread(target=sell, args=("w%d" % i,))
    jobs.append(t)
    t.start()

[i.join() for i in jobs]
print("票已卖完")
