"""
典型错误：没有用进程池，一个进程依次拷贝所有文件。
结果是对的，可只有一个进程在干活。
"""
import os


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
    for file in os.listdir(old_folder):
        copy(old_folder, new_folder, file)
    print("全部拷贝完成")


main()
