"""
生成一沓存款单 slips.txt：每行一个 1 到 100 元的金额，默认 1000000 张，
最后打印这些钱的总数，也就是 bank.py 应该算出的余额。

    python3 make_slips.py [张数]
"""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
money = [random.randint(1, 100) for i in range(n)]
with open("slips.txt", "w") as f:
    for m in money:
        f.write("%d\n" % m)
print("存款单 %d 张，总数 %d 元" % (n, sum(money)))
