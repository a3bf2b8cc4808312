"""
错误示范：读到口令后忘了 e.set()。
5 个线程永远停在 e.wait()，主线程永远停在 join：程序卡住，不会结束。
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


jobs = []
for i in range(5):
    t = Thread(target=guard, args=("T%d" % i,))
    jobs.append(t)
    t.start()

s = input("口令：")
# 少了：e.set()

[i.join() for i in jobs]
print("全部结束")
