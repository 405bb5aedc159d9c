"""Chinese names, fast: weighted common surnames and given-name characters.

Faker's zh_CN provider is too slow for a million residents (~50 µs a name); this draws from
the same kind of lists with the generator's own random stream, so names are deterministic.
"""

from __future__ import annotations

import random
from itertools import accumulate

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
            "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙")
# rough frequency: the first surnames are far more common
_SURNAME_WEIGHTS = list(accumulate(1.0 / (i + 4) for i in range(len(SURNAMES))))
MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志峰海东兵"
FEMALE = "芳娜敏静丽艳娟霞秀英华玲桂兰红梅琳燕萍雪婷慧莉颖倩洁欣月文玉佳丹琴云凤晶"


def chinese_name(rng: random.Random, sex: str) -> str:
    surname = rng.choices(SURNAMES, cum_weights=_SURNAME_WEIGHTS)[0]
    pool = MALE if sex == "1" else FEMALE
    n = len(pool)
    given = pool[int(rng.random() * n)]
    if rng.random() >= 0.3:
        given += pool[int(rng.random() * n)]
    return surname + given
