"""
错误示范：没有加锁。
balance += int(s) 是“读余额、算出金额、加上、写回”几步；
线程在中间被切换（int() 是一次函数调用，正好可能在这里切换），
另一个线程存进去的钱就被这次写回盖掉了：余额比应有的少。
"""
from threading import Thread

balance = 0


def deposit(slips):
    global balance
    for s in slips:
        balance += int(s)


slips = open("slips.txt").read().split()

jobs = []
for i in range(4):
    t = Thread(target=deposit, args=(slips[i::4],))
    jobs.append(t)
    t.start()

[i.join() for i in jobs]
print("存款单 %d 张，余额 %d 元" % (len(slips), balance))
