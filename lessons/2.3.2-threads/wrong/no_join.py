"""
错误示范：没有 join。
主线程 e.set() 之后不等 5 个线程做完，马上打印“全部结束”；
1 秒后线程们才核对完口令，打印出来的顺序就错了（“全部结束”之后还有输出）。
"""
from threading import Thread, Event
from time import sleep

s = None
e = Event()


def guard(name):
    print("%s 等待口令" % name)
    e.wait()
    sleep(1)
    if s == "天王盖地虎":
        print("%s 收到口令 %s：宝塔镇河妖" % (name, s))
    else:
        print("%s 收到口令 %s：打死他" % (name, s))


for i in range(5):
    t = Thread(target=guard, args=("T%d" % i,))
    t.start()

s = input("口令：")
e.set()
print("全部结束")  # 线程还没做完
