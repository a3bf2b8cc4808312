"""
错误示范：只用一把锁。
一把锁只能做到“互斥”：同一时刻只有一个线程在打印；做不到“同步”：
它管不了谁先谁后。刚放开锁的线程马上又能抢到它，顺序还是乱的。
"""
from threading import Thread, Lock

lock = Lock()


def print_num():
    for i in range(1, 53, 2):
        with lock:
            print(i)
            print(i + 1)


def print_char():
    for i in range(65, 91):
        with lock:
            print(chr(i))


t1 = Thread(target=print_num)
t2 = Thread(target=print_char)
t1.start()
t2.start()
t1.join()
t2.join()
