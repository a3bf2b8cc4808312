"""
典型错误：以为一次 send 就对应一次 recv。
几条消息粘在一起时被当成一条；一条消息被拆开时被当成几条，
从汉字中间切开时 decode 还会报 UnicodeDecodeError。
"""
import sys
from socket import *

sock = socket()
sock.connect((sys.argv[1], 8888))

while True:
    data = sock.recv(1024)
    if not data:
        break
    print("收到:", data.decode().strip())

sock.close()
