"""
错误示范：两个线程各打印各的，没有同步。
两个线程同时运行，谁先打印、打印几个，由操作系统和解释器的切换决定：
顺序每次都不一样，几乎不可能正好是 12A34B...。
"""
from threading import Thread


def print_num():
    for i in range(1, 53, 2):
        print(i)
        print(i + 1)


def print_char():
    for i in range(65, 91):
        print(chr(i))


t1 = Thread(target=print_num)
t2 = Thread(target=print_char)
t1.start()
t2.start()
t1.join()
t2.join()
