"""
错误示范：卖票的 0.1 秒也在锁里。
票一张不差，可是同一时刻只有一个窗口在卖：10 个窗口和 1 个窗口一样慢，
500 张票要 50 秒。锁只应该保护临界区（看票数、取号、减 1），越短越好。
"""
from threading import Thread, Lock
from time import sleep

TOTAL = 500
count = TOTAL
lock = Lock()


def sell(w):
    global count
    while True:
        with lock:
            if count == 0:
                break
            t = TOTAL - count + 1
            count -= 1
            print("%s 窗口卖出：T%d" % (w, t))
            sleep(0.1)  # 占着锁卖票：别的窗口只能干等


jobs = []
for i in range(1, 11):
    t = Thread(target=sell, args=("w%d" % i,))
    jobs.append(t)
    t.start()

[i.join() for i in jobs]
print("票已卖完")
