"""Chinese text of a ledger: project names, industries, units and officers.

Names are built from parts drawn with the caller's generator, so they are as
reproducible as the numbers. Only the final string formatting runs per project.
"""

from __future__ import annotations

import numpy as np

from ..vocab import CATEGORIES

#: category -> industries (free text of the ``industry`` column).
INDUSTRIES = {
    "industrial": ("电子信息", "装备制造", "新材料", "生物医药", "食品饮料", "新能源", "汽车及零部件", "精细化工"),
    "services": ("现代物流", "商贸", "科技服务", "电子商务", "金融服务", "总部经济"),
    "social": ("教育", "医疗卫生", "文化旅游", "体育", "养老服务"),
    "agriculture": ("现代农业", "水利", "林业", "民政"),
    "energy_infra": ("电力", "5G通信", "数据中心", "新能源", "燃气"),
    "transport_urban": ("交通", "市政", "房地产", "城市更新", "生态环保"),
}
#: industry -> products an industrial / services / energy project makes or runs.
PRODUCTS = {
    "电子信息": ("柔性显示模组", "集成电路封装测试", "智能终端", "印制电路板", "光电器件", "汽车电子"),
    "装备制造": ("智能装备", "数控机床", "工业机器人", "精密铸件", "节能环保装备"),
    "新材料": ("锂电池正极材料", "高性能复合材料", "特种钢材", "电子级化学品", "碳纤维"),
    "生物医药": ("原料药", "医疗器械", "生物制剂", "中药饮片"),
    "食品饮料": ("白酒酿造", "休闲食品", "冷链食品", "饮料灌装"),
    "新能源": ("光伏组件", "动力电池", "储能电池", "氢能装备", "风电装备"),
    "汽车及零部件": ("新能源汽车零部件", "汽车线束", "电驱动系统", "轻量化车身"),
    "精细化工": ("电子化学品", "新型涂料", "医药中间体"),
}
#: industry -> name templates of non-industrial projects.
WORKS = {
    "现代物流": ("{brand}现代物流园项目{phase}", "{brand}冷链物流中心项目"),
    "商贸": ("{brand}商业综合体项目{phase}", "{brand}专业市场项目", "{brand}星级酒店项目"),
    "科技服务": ("{brand}科技孵化器项目", "{place}科创中心项目{phase}"),
    "电子商务": ("{brand}电子商务产业园项目{phase}",),
    "金融服务": ("{brand}金融中心项目",),
    "总部经济": ("{brand}总部经济大楼项目",),
    "教育": ("第{n}小学新建项目", "第{n}幼儿园建设项目", "职业技术学校建设项目"),
    "医疗卫生": ("人民医院新院区建设项目", "妇幼保健院建设项目"),
    "文化旅游": ("{place}文化旅游综合体项目", "{place}湿地公园项目"),
    "体育": ("全民健身中心项目", "{place}体育公园项目"),
    "养老服务": ("养老服务中心项目", "{place}康养中心项目"),
    "现代农业": ("高标准农田建设项目", "现代农业产业园项目{phase}"),
    "水利": ("{place}河道综合治理工程", "农村供水保障工程", "水土保持综合治理项目"),
    "林业": ("{place}林业生态修复项目",),
    "民政": ("社会福利中心项目", "{place}社区服务中心项目"),
    "电力": ("110千伏输变电工程", "220千伏输变电工程"),
    "5G通信": ("5G基站建设项目",),
    "数据中心": ("{brand}数据中心项目{phase}",),
    "新能源": ("分布式光伏发电项目", "充电基础设施项目"),
    "燃气": ("天然气管网工程",),
    "交通": ("{place}路道路工程{phase}", "{place}大道延伸段工程"),
    "市政": ("污水处理厂提标改造工程", "{place}综合管廊工程"),
    "房地产": ("{place}安置房建设项目{phase}", "{place}人才公寓项目"),
    "城市更新": ("{place}片区城市更新项目", "{place}片区综合开发项目{phase}"),
    "生态环保": ("{place}生态修复工程", "固废综合处置项目"),
}
INDUSTRIAL_WORKS = ("{brand}{firm}年产{qty}万件{product}项目", "{brand}{product}生产基地建设项目{phase}",
                    "{product}产业园项目{phase}")
PLACES = ("科创", "凤凰", "滨江", "永兴", "园艺", "金峰", "龙门", "滨河", "迎宾", "创业", "兴业", "新华",
          "长青", "东方", "锦绣", "明月", "塘汛", "松垭", "青义", "石马")
BRAND = "华通瑞达恒信科创远航新金嘉泰宏盛鑫源博安德诚铭海天龙腾飞长九洲光宇川蜀汇众"
FIRM = ("科技", "电子", "新材料", "智能", "生物", "能源", "实业", "精工", "集团")
PHASES = ("", "", "", "（一期）", "（二期）", "（三期）")

UNITS = {
    "industrial": ("经信局", "招商一局", "招商二局", "投资促进局"),
    "services": ("商务局", "招商三局", "投资促进局"),
    "social": ("社会事业局", "教育局", "卫健局", "文旅局"),
    "agriculture": ("农业农村局", "水务局", "民政局"),
    "energy_infra": ("发展改革局", "经信局", "招商二局"),
    "transport_urban": ("住建局", "交通运输局", "自然资源局", "建设管理局"),
}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建文斌宇浩凯婷雪琳晨欣怡佳俊峰亮"
         "波宁帆阳林海志国东晓")


def _pick(rng: np.random.Generator, options: tuple[str, ...] | str, n: int) -> np.ndarray:
    return np.asarray(list(options), dtype=object)[rng.integers(0, len(options), size=n)]


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` Chinese personal names: a common surname and one or two given characters."""
    # Common surnames are far more frequent: weight by a Zipf-like law.
    w = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    sur = np.asarray(list(SURNAMES), dtype=object)[rng.choice(len(SURNAMES), size=n, p=w / w.sum())]
    g1, g2 = _pick(rng, GIVEN, n), _pick(rng, GIVEN, n)
    two = rng.random(n) < 0.6
    return np.where(two, sur + g1 + g2, sur + g1)


def _within_category(rng: np.random.Generator, category: np.ndarray, table: dict[str, tuple[str, ...]]) -> np.ndarray:
    out = np.empty(len(category), dtype=object)
    for i, cat in enumerate(CATEGORIES):
        sel = category == i
        out[sel] = _pick(rng, table[cat], int(sel.sum()))
    return out


def industries(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """An industry for each project, drawn within its category."""
    return _within_category(rng, category, INDUSTRIES)


def project_names(rng: np.random.Generator, category: np.ndarray, industry: np.ndarray,
                  planned: np.ndarray) -> np.ndarray:
    """A realistic name for each project from its category, industry and size."""
    n = len(category)
    brand = _pick(rng, BRAND, n) + _pick(rng, BRAND, n)
    firm = _pick(rng, FIRM, n)
    place = _pick(rng, PLACES, n)
    phase = _pick(rng, PHASES, n)
    num = rng.integers(1, 12, size=n)
    pick = rng.integers(0, 1 << 30, size=n)
    # A plant's yearly volume grows with its size (万件 a year, rounded as declared).
    qty = np.maximum(1, np.round(planned / 2000, -1)).astype(np.int64)
    industrial = CATEGORIES.index("industrial")
    names = []
    for i in range(n):  # string formatting only; every draw is made above
        if category[i] == industrial:
            products = PRODUCTS[industry[i]]
            template = INDUSTRIAL_WORKS[pick[i] % len(INDUSTRIAL_WORKS)]
            product = products[(pick[i] >> 8) % len(products)]
        else:
            works = WORKS[industry[i]]
            template, product = works[pick[i] % len(works)], ""
        names.append(template.format(brand=brand[i], firm=firm[i], place=place[i], phase=phase[i],
                                     n=num[i], qty=qty[i], product=product))
    return np.asarray(names, dtype=object)


def units(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """The responsible unit (责任单位) of each project, drawn within its category."""
    return _within_category(rng, category, UNITS)
