"""
2.2.4 进程池：拷贝一个指定的目录（目录下全都是普通文件，没有子目录）
把每个文件的拷贝作为一个事件，创建进程池，开启 4 个进程执行这些拷贝事件
"""
from multiprocessing import Pool
import os


# 进程池函数：拷贝一个文件（要在创建进程池之前定义）
def copy(old_folder, new_folder, file):
    fr = open(old_folder + '/' + file, 'rb')
    fw = open(new_folder + '/' + file, 'wb')
    while True:
        data = fr.read(1024)
        if not data:
            break
        fw.write(data)
    fr.close()
    fw.close()
    print("%s 拷贝完成 PID=%d" % (file, os.getpid()))


def main():
    old_folder = input("要拷贝的目录:")
    new_folder = old_folder + "-备份"
    os.mkdir(new_folder)

    # 创建进程池
    pool = Pool(4)

    # 向进程池事件队列中加入事件
    for file in os.listdir(old_folder):
        pool.apply_async(func=copy, args=(old_folder, new_folder, file))

    # 关闭进程池：不能再加新的事件了
    pool.close()
    # 阻塞等待进程池中的事件都执行完，回收进程池中的进程
    pool.join()
    print("全部拷贝完成")


main()
