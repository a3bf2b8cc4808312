"""
线程锁 Lock（笔记 2.3.4 线程同步互斥）

银行的 4 个窗口（4 个线程）一起处理一沓存款单：slips.txt 每行一个金额，
全部存进同一个账户 balance（共享资源）。

balance += money 看起来是一步，其实是三步：读出余额、加上、写回。
两个线程交错着做这三步，一个线程的写回会盖掉另一个的：钱就丢了。
所以这一段（临界区）要加锁：with lock 里同一时刻只有一个线程。
"""
from threading import Thread, Lock

balance = 0  # 账户余额（4 个线程共享）
lock = Lock()


# 一个窗口：把分给它的存款单一张一张存进账户
def deposit(slips):
    global balance
    for s in slips:
        money = int(s)
        with lock:  # 上锁：读、加、写回一次做完
            balance += money


slips = open("slips.txt").read().split()  # 存款单，每行一个金额

jobs = []
for i in range(4):
    t = Thread(target=deposit, args=(slips[i::4],))  # 每个窗口分到四分之一
    jobs.append(t)
    t.start()

[i.join() for i in jobs]
print("存款单 %d 张，余额 %d 元" % (len(slips), balance))
