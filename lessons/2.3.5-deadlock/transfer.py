"""
死锁（笔记 2.3.5）：两个线程互相转账

账户 A、B 各有一把锁。线程 1 从 A 转给 B，线程 2 从 B 转给 A，各转 5 次，每次 10 元。
转账要同时锁住两个账户。如果线程 1 先锁 A 再锁 B，线程 2 先锁 B 再锁 A，
两个线程就会各拿着一把锁、等对方手里的那一把，谁也不放：死锁（环路等待）。

避免：所有线程按同样的顺序上锁（都是先 A 后 B），环路等待就不会出现。
"""
from threading import Thread, Lock
from time import sleep

a = 100  # 账户 A 的余额
b = 100  # 账户 B 的余额
lock_a = Lock()
lock_b = Lock()


# 线程 1：A 转给 B
def a_to_b():
    global a, b
    for i in range(5):
        with lock_a:  # 先锁 A
            sleep(0.1)  # 查账要 0.1 秒
            with lock_b:  # 再锁 B
                a -= 10
                b += 10
                print("A 转给 B 10 元：A=%d B=%d" % (a, b))


# 线程 2：B 转给 A
def b_to_a():
    global a, b
    for i in range(5):
        with lock_a:  # 也是先锁 A（和线程 1 同样的顺序）
            sleep(0.1)
            with lock_b:  # 再锁 B
                b -= 10
                a += 10
                print("B 转给 A 10 元：A=%d B=%d" % (a, b))


t1 = Thread(target=a_to_b)
t2 = Thread(target=b_to_a)
t1.start()
t2.start()
t1.join()
t2.join()
print("转账结束：A=%d B=%d" % (a, b))
