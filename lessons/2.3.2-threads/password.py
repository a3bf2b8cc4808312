"""
多线程与 Event（笔记 2.3.2 多线程编程、2.3.4 线程 Event）

主线程创建 5 个线程（5 个哨兵），它们都在 e.wait() 等同一个事件；
主线程从键盘读入口令，放进全局变量 s（线程之间用全局变量通信），然后 e.set()：
5 个线程一起醒来，各自核对口令（要 1 秒）；主线程 join 回收它们，最后打印“全部结束”。
"""
from threading import Thread, Event
from time import sleep

s = None  # 口令：主线程写，分支线程读
e = Event()  # event 对象


# 线程函数：一个哨兵
def guard(name):
    print("%s 等待口令" % name)
    e.wait()  # 阻塞等待，直到主线程 e.set()
    sleep(1)  # 核对口令要 1 秒
    if s == "天王盖地虎":
        print("%s 收到口令 %s：宝塔镇河妖" % (name, s))
    else:
        print("%s 收到口令 %s：打死他" % (name, s))


# 创建多个线程
jobs = []
for i in range(5):
    t = Thread(target=guard, args=("T%d" % i,))
    jobs.append(t)  # 存储线程对象
    t.start()

s = input("口令：")
e.set()  # 解除 5 个线程的阻塞

# 回收线程
[i.join() for i in jobs]
print("全部结束")
