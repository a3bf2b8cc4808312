"""
错误示范：不用 Event，用一个全局变量 flag 循环查看（忙等）。
结果是对的，可是 5 个线程等口令时一直在空转：top -H 里它们轮流占着 CPU。
Event 的 wait() 让线程睡眠（状态 S），不占 CPU，set() 时才醒来。
"""
from threading import Thread
from time import sleep

s = None
flag = False


def guard(name):
    print("%s 等待口令" % name)
    while not flag:  # 忙等：不停地看 flag
        pass
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
flag = True

[i.join() for i in jobs]
print("全部结束")
