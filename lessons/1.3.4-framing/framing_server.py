"""
framing_server.py  故意制造"粘包"和"拆包"的服务端
每条消息以 \n 结尾：人为添加的消息边界
"""
import time
from socket import *

MESSAGES = ["你好", "第二条消息", "第三条消息", "一条很长的消息，会分几次到达；" * 5, "倒数第二条", "最后一条"]

sock = socket()
sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", 8888))
sock.listen(5)

while True:
    connfd, addr = sock.accept()
    print("Connect from", addr)
    # 关掉 Nagle 算法：每次 send 立即成为一个报文段，便于观察
    connfd.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
    for msg in MESSAGES:
        print("发送:", msg)
    # 粘包：前三条消息一次 send，接收方一次 recv 就全部收到
    connfd.send(("\n".join(MESSAGES[:3]) + "\n").encode())
    time.sleep(0.3)
    # 拆包：一条消息分三次发送，还从一个汉字的中间切开 (一个汉字 3 个字节)
    data = (MESSAGES[3] + "\n").encode()
    for part in (data[:7], data[7:40], data[40:]):
        connfd.send(part)
        time.sleep(0.3)
    # 最后两条又一次发送，随后关闭连接
    connfd.send(("\n".join(MESSAGES[4:]) + "\n").encode())
    connfd.close()
    print(addr, "发送完毕")
