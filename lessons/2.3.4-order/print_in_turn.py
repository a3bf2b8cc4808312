"""
练习2（笔记 2.3.4）：有两个线程同时运行，一个线程负责打印 1---52 这 52 个数字，
另一个线程打印 A-Z 这 26 个字母，要求打印的顺序是 12A34B56C....5152Z。
使用同步互斥方法进行打印顺序的管控。

两把锁当作两个“信号”：lock1 没锁上 = 该打印数字了，lock2 没锁上 = 该打印字母了。
打印数字的线程打完两个数字，release lock2 让字母线程走；字母线程打完一个字母，release lock1。
"""
from threading import Thread, Lock

lock1 = Lock()
lock2 = Lock()


def print_num():
    for i in range(1, 53, 2):
        lock1.acquire()  # 等轮到数字
        print(i)
        print(i + 1)
        lock2.release()  # 轮到字母


def print_char():
    for i in range(65, 91):
        lock2.acquire()  # 等轮到字母
        print(chr(i))
        lock1.release()  # 轮到数字


t1 = Thread(target=print_num)
t2 = Thread(target=print_char)

lock2.acquire()  # lock2 先上锁：第一个打印的是数字

t1.start()
t2.start()
t1.join()
t2.join()
