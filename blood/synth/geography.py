"""Zhejiang's divisions (GB/T 2260, as python-stdnum 2.2 knows them: a donor's resident ID
must carry a code it accepts), their populations, and the collecting organisations and
hospitals a synthetic province puts in them. Pure data."""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = ("330000", "浙江省", "Zhejiang")


@dataclass(frozen=True)
class City:
    code: str
    abbr: str  # for organisation codes and user names
    name_zh: str
    name_en: str
    population_m: float  # 2020 census, millions (rounded): donors and hospitals follow it
    counties: tuple[tuple[str, str, str], ...]  # (code, Chinese, English)


CITIES = (
    City("330100", "HZ", "杭州市", "Hangzhou", 12.2, (
        ("330102", "上城区", "Shangcheng District"), ("330105", "拱墅区", "Gongshu District"),
        ("330106", "西湖区", "Xihu District"), ("330108", "滨江区", "Binjiang District"),
        ("330109", "萧山区", "Xiaoshan District"), ("330110", "余杭区", "Yuhang District"),
        ("330111", "富阳区", "Fuyang District"), ("330112", "临安区", "Lin'an District"),
        ("330122", "桐庐县", "Tonglu County"), ("330127", "淳安县", "Chun'an County"),
        ("330182", "建德市", "Jiande City"),
    )),
    City("330200", "NB", "宁波市", "Ningbo", 9.4, (
        ("330203", "海曙区", "Haishu District"), ("330205", "江北区", "Jiangbei District"),
        ("330206", "北仑区", "Beilun District"), ("330211", "镇海区", "Zhenhai District"),
        ("330212", "鄞州区", "Yinzhou District"), ("330213", "奉化区", "Fenghua District"),
        ("330225", "象山县", "Xiangshan County"), ("330226", "宁海县", "Ninghai County"),
        ("330281", "余姚市", "Yuyao City"), ("330282", "慈溪市", "Cixi City"),
    )),
    City("330300", "WZ", "温州市", "Wenzhou", 9.6, (
        ("330302", "鹿城区", "Lucheng District"), ("330303", "龙湾区", "Longwan District"),
        ("330304", "瓯海区", "Ouhai District"), ("330305", "洞头区", "Dongtou District"),
        ("330324", "永嘉县", "Yongjia County"), ("330326", "平阳县", "Pingyang County"),
        ("330327", "苍南县", "Cangnan County"), ("330328", "文成县", "Wencheng County"),
        ("330329", "泰顺县", "Taishun County"), ("330381", "瑞安市", "Rui'an City"),
        ("330382", "乐清市", "Yueqing City"), ("330383", "龙港市", "Longgang City"),
    )),
    City("330400", "JX", "嘉兴市", "Jiaxing", 5.4, (
        ("330402", "南湖区", "Nanhu District"), ("330411", "秀洲区", "Xiuzhou District"),
        ("330421", "嘉善县", "Jiashan County"), ("330424", "海盐县", "Haiyan County"),
        ("330481", "海宁市", "Haining City"), ("330482", "平湖市", "Pinghu City"),
        ("330483", "桐乡市", "Tongxiang City"),
    )),
    City("330500", "HU", "湖州市", "Huzhou", 3.4, (
        ("330502", "吴兴区", "Wuxing District"), ("330503", "南浔区", "Nanxun District"),
        ("330521", "德清县", "Deqing County"), ("330522", "长兴县", "Changxing County"),
        ("330523", "安吉县", "Anji County"),
    )),
    City("330600", "SX", "绍兴市", "Shaoxing", 5.3, (
        ("330602", "越城区", "Yuecheng District"), ("330603", "柯桥区", "Keqiao District"),
        ("330604", "上虞区", "Shangyu District"), ("330624", "新昌县", "Xinchang County"),
        ("330681", "诸暨市", "Zhuji City"), ("330683", "嵊州市", "Shengzhou City"),
    )),
    City("330700", "JH", "金华市", "Jinhua", 7.1, (
        ("330702", "婺城区", "Wucheng District"), ("330703", "金东区", "Jindong District"),
        ("330723", "武义县", "Wuyi County"), ("330726", "浦江县", "Pujiang County"),
        ("330727", "磐安县", "Pan'an County"), ("330781", "兰溪市", "Lanxi City"),
        ("330782", "义乌市", "Yiwu City"), ("330783", "东阳市", "Dongyang City"),
        ("330784", "永康市", "Yongkang City"),
    )),
    City("330800", "QZ", "衢州市", "Quzhou", 2.3, (
        ("330802", "柯城区", "Kecheng District"), ("330803", "衢江区", "Qujiang District"),
        ("330822", "常山县", "Changshan County"), ("330824", "开化县", "Kaihua County"),
        ("330825", "龙游县", "Longyou County"), ("330881", "江山市", "Jiangshan City"),
    )),
    City("330900", "ZS", "舟山市", "Zhoushan", 1.2, (
        ("330902", "定海区", "Dinghai District"), ("330903", "普陀区", "Putuo District"),
        ("330921", "岱山县", "Daishan County"), ("330922", "嵊泗县", "Shengsi County"),
    )),
    City("331000", "TZ", "台州市", "Taizhou", 6.6, (
        ("331002", "椒江区", "Jiaojiang District"), ("331003", "黄岩区", "Huangyan District"),
        ("331004", "路桥区", "Luqiao District"), ("331022", "三门县", "Sanmen County"),
        ("331023", "天台县", "Tiantai County"), ("331024", "仙居县", "Xianju County"),
        ("331081", "温岭市", "Wenling City"), ("331082", "临海市", "Linhai City"),
        ("331083", "玉环市", "Yuhuan City"),
    )),
    City("331100", "LS", "丽水市", "Lishui", 2.5, (
        ("331102", "莲都区", "Liandu District"), ("331121", "青田县", "Qingtian County"),
        ("331122", "缙云县", "Jinyun County"), ("331123", "遂昌县", "Suichang County"),
        ("331124", "松阳县", "Songyang County"), ("331125", "云和县", "Yunhe County"),
        ("331126", "庆元县", "Qingyuan County"),
        ("331127", "景宁畲族自治县", "Jingning She Autonomous County"),
        ("331181", "龙泉市", "Longquan City"),
    )),
)  # fmt: skip

COUNTY_NAMES = {code: (zh, en) for city in CITIES for code, zh, en in city.counties}
CITY_OF = {code: city for city in CITIES for code, _zh, _en in city.counties}

# Plasma stations, in rural counties (the order they are kept in at smaller scales): the
# station's county and its designated area (划定采浆区域).
PLASMA_STATIONS = (
    ("330127", ("330127",)),
    ("330329", ("330329", "330328")),
    ("330824", ("330824",)),
    ("331123", ("331123",)),
    ("330182", ("330182", "330122")),
    ("331126", ("331126",)),
    ("330727", ("330727",)),
    ("331024", ("331024",)),
    ("330822", ("330822",)),
    ("331127", ("331127", "331125")),
    ("330324", ("330324",)),
    ("331022", ("331022",)),
    ("331124", ("331124",)),
    ("331181", ("331181",)),
    ("330328", ("330328",)),
)


@dataclass(frozen=True)
class Centre:
    code: str
    parent: str  # a division code: whose authority it sits under
    name_zh: str
    name_en: str
    facility_id: str
    counties: tuple[str, ...]  # its catchment: donors live there, hospitals there use it


def _catchment(city: City, *, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(code for code, _zh, _en in city.counties if code not in without)


_YIWU = ("330782", "330783", "330726")
_BY_ABBR = {city.abbr: city for city in CITIES}

# The provincial blood centre serves Hangzhou; each other city has its central blood
# station; Yiwu's blood station serves the east of Jinhua. Largest first.
CENTRES = (
    Centre("BC-ZJ", "330000", "浙江省血液中心", "Zhejiang Blood Center", "B3300",
           _catchment(_BY_ABBR["HZ"])),
    *(
        Centre(f"BC-{c.abbr}", c.code, f"{c.name_zh}中心血站", f"{c.name_en} Central Blood Station",
               f"B33{c.code[2:4]}", _catchment(c, without=_YIWU))
        for c in sorted(CITIES[1:], key=lambda c: -c.population_m)
    ),
    Centre("BC-YW", "330782", "义乌市血站", "Yiwu Blood Station", "B3382", _YIWU),
)  # fmt: skip

# City-level hospitals per city (besides one people's hospital in every county and a
# hospital of Chinese medicine in every county-level city): Chinese and English names.
CITY_HOSPITALS = (
    ("第一人民医院", "First People's Hospital"),
    ("中心医院", "Central Hospital"),
    ("中医院", "Hospital of Traditional Chinese Medicine"),
    ("妇幼保健院", "Maternal and Child Health Hospital"),
    ("第二人民医院", "Second People's Hospital"),
    ("第三人民医院", "Third People's Hospital"),
    ("儿童医院", "Children's Hospital"),
    ("肿瘤医院", "Cancer Hospital"),
)
CITY_HOSPITAL_COUNT = {
    "HZ": 8, "NB": 6, "WZ": 6, "JH": 4, "TZ": 4, "JX": 3, "SX": 3, "HU": 2, "QZ": 2,
    "LS": 2, "ZS": 2,
}  # fmt: skip


@dataclass(frozen=True)
class HospitalSpec:
    code: str
    parent: str  # division code of its authority
    county: str  # where its patients live (for the centre that supplies it)
    name_zh: str
    name_en: str
    weight: float  # relative use of blood


def hospitals() -> list[HospitalSpec]:
    """About 150 hospitals, largest first within each city's list."""
    found: list[HospitalSpec] = []
    for city in CITIES:
        seat = city.counties[0][0]  # the city's central district
        for index in range(CITY_HOSPITAL_COUNT[city.abbr]):
            suffix_zh, suffix_en = CITY_HOSPITALS[index]
            weight = (8.0 if city.abbr == "HZ" else 5.0) if index < 2 else 2.5
            found.append(
                HospitalSpec(
                    f"H-{city.abbr}-{index + 1:02d}", city.code, seat,
                    f"{city.name_zh}{suffix_zh}", f"{city.name_en} {suffix_en}", weight,
                )
            )  # fmt: skip
        for code, zh, en in city.counties:
            found.append(
                HospitalSpec(
                    f"H-{code}-1", code, code, f"{zh}人民医院", f"{en} People's Hospital", 1.5
                )
            )
            if zh.endswith("市"):
                found.append(
                    HospitalSpec(
                        f"H-{code}-2", code, code, f"{zh}中医院",
                        f"{en} Hospital of Traditional Chinese Medicine", 0.7,
                    )
                )  # fmt: skip
    return found


MANUFACTURER = ("MF-HS", "浙江华生血液制品有限公司", "Huasheng Blood Products Co., Ltd.")
