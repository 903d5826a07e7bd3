"""Zone names: real host cities of 经开区 (national) and counties (provincial).

Each entry is ``(short name, zone_id, province, city)``; the zone is called
``<short name>经开区``. When a run asks for more zones than a list holds, the
list is reused with other park names (工业园区, 高新技术产业园, ...) and a
numbered zone_id.
"""

from __future__ import annotations

NATIONAL = [
    ("绵阳", "mianyang", "四川省", "绵阳市"), ("德阳", "deyang", "四川省", "德阳市"),
    ("遂宁", "suining", "四川省", "遂宁市"), ("广安", "guangan", "四川省", "广安市"),
    ("宜宾", "yibin", "四川省", "宜宾市"), ("内江", "neijiang", "四川省", "内江市"),
    ("成都", "chengdu", "四川省", "成都市"), ("芜湖", "wuhu", "安徽省", "芜湖市"),
    ("合肥", "hefei", "安徽省", "合肥市"), ("安庆", "anqing", "安徽省", "安庆市"),
    ("滁州", "chuzhou", "安徽省", "滁州市"), ("昆山", "kunshan", "江苏省", "苏州市"),
    ("南通", "nantong", "江苏省", "南通市"), ("扬州", "yangzhou", "江苏省", "扬州市"),
    ("徐州", "xuzhou", "江苏省", "徐州市"), ("盐城", "yancheng", "江苏省", "盐城市"),
    ("嘉兴", "jiaxing", "浙江省", "嘉兴市"), ("杭州", "hangzhou", "浙江省", "杭州市"),
    ("宁波", "ningbo", "浙江省", "宁波市"), ("湖州", "huzhou", "浙江省", "湖州市"),
    ("绍兴", "shaoxing", "浙江省", "绍兴市"), ("长沙", "changsha", "湖南省", "长沙市"),
    ("岳阳", "yueyang", "湖南省", "岳阳市"), ("常德", "changde", "湖南省", "常德市"),
    ("湘潭", "xiangtan", "湖南省", "湘潭市"), ("武汉", "wuhan", "湖北省", "武汉市"),
    ("襄阳", "xiangyang", "湖北省", "襄阳市"), ("荆州", "jingzhou", "湖北省", "荆州市"),
    ("郑州", "zhengzhou", "河南省", "郑州市"), ("鹤壁", "hebi", "河南省", "鹤壁市"),
    ("许昌", "xuchang", "河南省", "许昌市"), ("开封", "kaifeng", "河南省", "开封市"),
    ("西安", "xian", "陕西省", "西安市"), ("汉中", "hanzhong", "陕西省", "汉中市"),
    ("重庆", "chongqing", "重庆市", "重庆市"), ("万州", "wanzhou", "重庆市", "重庆市"),
    ("长寿", "changshou", "重庆市", "重庆市"), ("贵阳", "guiyang", "贵州省", "贵阳市"),
    ("遵义", "zunyi", "贵州省", "遵义市"), ("昆明", "kunming", "云南省", "昆明市"),
    ("曲靖", "qujing", "云南省", "曲靖市"), ("南宁", "nanning", "广西壮族自治区", "南宁市"),
    ("钦州", "qinzhou", "广西壮族自治区", "钦州市"), ("广州", "guangzhou", "广东省", "广州市"),
    ("湛江", "zhanjiang", "广东省", "湛江市"), ("南昌", "nanchang", "江西省", "南昌市"),
    ("赣州", "ganzhou", "江西省", "赣州市"), ("九江", "jiujiang", "江西省", "九江市"),
    ("福州", "fuzhou", "福建省", "福州市"), ("青岛", "qingdao", "山东省", "青岛市"),
    ("烟台", "yantai", "山东省", "烟台市"), ("潍坊", "weifang", "山东省", "潍坊市"),
    ("威海", "weihai", "山东省", "威海市"), ("济南", "jinan", "山东省", "济南市"),
    ("石家庄", "shijiazhuang", "河北省", "石家庄市"), ("廊坊", "langfang", "河北省", "廊坊市"),
    ("沧州", "cangzhou", "河北省", "沧州市"), ("太原", "taiyuan", "山西省", "太原市"),
    ("晋中", "jinzhong", "山西省", "晋中市"), ("沈阳", "shenyang", "辽宁省", "沈阳市"),
    ("大连", "dalian", "辽宁省", "大连市"), ("营口", "yingkou", "辽宁省", "营口市"),
    ("长春", "changchun", "吉林省", "长春市"), ("哈尔滨", "haerbin", "黑龙江省", "哈尔滨市"),
    ("大庆", "daqing", "黑龙江省", "大庆市"), ("呼和浩特", "huhehaote", "内蒙古自治区", "呼和浩特市"),
    ("银川", "yinchuan", "宁夏回族自治区", "银川市"), ("西宁", "xining", "青海省", "西宁市"),
    ("兰州", "lanzhou", "甘肃省", "兰州市"), ("天水", "tianshui", "甘肃省", "天水市"),
    ("乌鲁木齐", "wulumuqi", "新疆维吾尔自治区", "乌鲁木齐市"), ("库尔勒", "kuerle", "新疆维吾尔自治区", "巴音郭楞蒙古自治州"),
    ("拉萨", "lasa", "西藏自治区", "拉萨市"), ("天津", "tianjin", "天津市", "天津市"),
    ("北京", "beijing", "北京市", "北京市"),
]

PROVINCIAL = [
    ("三台", "santai", "四川省", "绵阳市"), ("江油", "jiangyou", "四川省", "绵阳市"),
    ("什邡", "shifang", "四川省", "德阳市"), ("广汉", "guanghan", "四川省", "德阳市"),
    ("射洪", "shehong", "四川省", "遂宁市"), ("邻水", "linshui", "四川省", "广安市"),
    ("泸县", "luxian", "四川省", "泸州市"), ("彭山", "pengshan", "四川省", "眉山市"),
    ("简阳", "jianyang", "四川省", "成都市"), ("崇州", "chongzhou", "四川省", "成都市"),
    ("宁国", "ningguo", "安徽省", "宣城市"), ("桐城", "tongcheng", "安徽省", "安庆市"),
    ("天长", "tianchang", "安徽省", "滁州市"), ("如皋", "rugao", "江苏省", "南通市"),
    ("海门", "haimen", "江苏省", "南通市"), ("邳州", "pizhou", "江苏省", "徐州市"),
    ("沭阳", "shuyang", "江苏省", "宿迁市"), ("诸暨", "zhuji", "浙江省", "绍兴市"),
    ("义乌", "yiwu", "浙江省", "金华市"), ("长兴", "changxing", "浙江省", "湖州市"),
    ("平湖", "pinghu", "浙江省", "嘉兴市"), ("浏阳", "liuyang", "湖南省", "长沙市"),
    ("醴陵", "liling", "湖南省", "株洲市"), ("汨罗", "miluo", "湖南省", "岳阳市"),
    ("仙桃", "xiantao", "湖北省", "仙桃市"), ("大冶", "daye", "湖北省", "黄石市"),
    ("枣阳", "zaoyang", "湖北省", "襄阳市"), ("长葛", "changge", "河南省", "许昌市"),
    ("巩义", "gongyi", "河南省", "郑州市"), ("新郑", "xinzheng", "河南省", "郑州市"),
    ("兴平", "xingping", "陕西省", "咸阳市"), ("神木", "shenmu", "陕西省", "榆林市"),
    ("綦江", "qijiang", "重庆市", "重庆市"), ("璧山", "bishan", "重庆市", "重庆市"),
    ("仁怀", "renhuai", "贵州省", "遵义市"), ("清镇", "qingzhen", "贵州省", "贵阳市"),
    ("安宁", "anning", "云南省", "昆明市"), ("宣威", "xuanwei", "云南省", "曲靖市"),
    ("北流", "beiliu", "广西壮族自治区", "玉林市"), ("台山", "taishan", "广东省", "江门市"),
    ("博罗", "boluo", "广东省", "惠州市"), ("丰城", "fengcheng", "江西省", "宜春市"),
    ("南康", "nankang", "江西省", "赣州市"), ("福清", "fuqing", "福建省", "福州市"),
    ("晋江", "jinjiang", "福建省", "泉州市"), ("寿光", "shouguang", "山东省", "潍坊市"),
    ("龙口", "longkou", "山东省", "烟台市"), ("邹平", "zouping", "山东省", "滨州市"),
    ("迁安", "qianan", "河北省", "唐山市"), ("任丘", "renqiu", "河北省", "沧州市"),
    ("孝义", "xiaoyi", "山西省", "吕梁市"), ("海城", "haicheng", "辽宁省", "鞍山市"),
    ("公主岭", "gongzhuling", "吉林省", "长春市"), ("肇东", "zhaodong", "黑龙江省", "绥化市"),
    ("准格尔", "zhungeer", "内蒙古自治区", "鄂尔多斯市"), ("灵武", "lingwu", "宁夏回族自治区", "银川市"),
    ("格尔木", "geermu", "青海省", "海西蒙古族藏族自治州"), ("玉门", "yumen", "甘肃省", "酒泉市"),
    ("昌吉", "changji", "新疆维吾尔自治区", "昌吉回族自治州"), ("文昌", "wenchang", "海南省", "文昌市"),
]

#: Park names used when a list is reused (round 0 is the plain 经开区).
PARK_NAMES = ("经开区", "工业园区", "高新技术产业园", "临港产业园", "产业新城", "东部新区")


def zone_rows(zones: int, national_zones: int) -> list[tuple[str, str, str, str, str]]:
    """``(zone_id, name, province, city, level)`` for zones numbered 0..zones-1."""
    rows = []
    for i in range(zones):
        national = i < national_zones
        pool = NATIONAL if national else PROVINCIAL
        j = i if national else i - national_zones
        short, zid, province, city = pool[j % len(pool)]
        rnd = j // len(pool)
        park = PARK_NAMES[rnd % len(PARK_NAMES)]
        name = f"{short}{park}" if rnd < len(PARK_NAMES) else f"{short}{park}{rnd // len(PARK_NAMES) + 1}区"
        rows.append((zid if rnd == 0 else f"{zid}-{rnd + 1}", name, province, city,
                     "national" if national else "provincial"))
    return rows
