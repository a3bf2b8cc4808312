"""
错误示范：两个线程按相反的顺序上锁——死锁。
线程 1 锁住 A，查账 0.1 秒；这时线程 2 锁住了 B。
线程 1 要 B（在线程 2 手里），线程 2 要 A（在线程 1 手里）：两个都永远等下去。
程序不报错，也不退出，CPU 是 0：它只是停住了。

看它停在哪里：ps -L 看线程（状态 S，不占 CPU）；
程序开头加上下面两行，再 kill -USR1 进程号，就会打印出每个线程停在哪一行。
"""
import faulthandler
import signal
from threading import Thread, Lock
from time import sleep

faulthandler.register(signal.SIGUSR1)  # kill -USR1 PID：打印所有线程的调用栈

a = 100
b = 100
lock_a = Lock()
lock_b = Lock()


def a_to_b():
    global a, b
    for i in range(5):
        with lock_a:  # 先锁 A
            sleep(0.1)
            with lock_b:  # 再锁 B
                a -= 10
                b += 10
                print("A 转给 B 10 元：A=%d B=%d" % (a, b))


def b_to_a():
    global a, b
    for i in range(5):
        with lock_b:  # 先锁 B（和线程 1 相反）
            sleep(0.1)
            with lock_a:  # 再锁 A：死锁
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
