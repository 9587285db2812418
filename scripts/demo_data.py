"""Realistic synthetic input records for the built-in certificate types, reproducible from a seed.

The records are what a city social-insurance bureau's core system exports: people with valid
GB 11643 identity numbers and plausible names, employers with valid GB 32100 unified social
credit codes, monthly contribution records in fen, pension qualification authentications and
work-injury determinations. Totals that the importer derives (``period``, ``months_paid``,
``total_personal`` and so on) are left out, as a core system's export leaves them out.

Everything is drawn from the `random.Random` passed in, so the same seed gives the same records
on every run and every machine; people are drawn from a fixed pool of the city's employers (the
same for every seed), so that many of them share one. Not for anything secret: test data.

By default the dates are those of a fixed export (authentications in 2025, injuries up to mid
2026). Given `today` (the service's clock, for a demonstration), they are drawn around it instead,
so that what a certificate says agrees with its status that day: a qualification issued today
covers today, an injury was determined after it happened, and no contribution month is in the
future. Given a `holder`, a certificate is that person's throughout, its narrative included.

    python -m scripts.demo_data contribution-certificate 1000 data/contributions.jsonl
    python -m scripts.demo_data work-injury-determination 50 data/injuries.csv --seed 7
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from ledger._identifiers import (
    credit_code_check_character,
    identity_check_character,
    year_month_problem,
)

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"

CONTRIBUTION = "contribution-certificate"
PENSION = "pension-qualification"
WORK_INJURY = "work-injury-determination"

# Certificate number prefixes: type code, the Weihai city region code, the year of the export.
NUMBER_PREFIXES = {CONTRIBUTION: "JF3710002025", PENSION: "ZG3710002025", WORK_INJURY: "GS3710002025"}
_PREFIX_PATTERN = re.compile(r"^([A-Z0-9][A-Z0-9-]*)?$")

# Contribution rates, in units of 0.01 %: (personal, employer).
RATES: dict[str, tuple[int, int]] = {
    "pension": (800, 1600),
    "medical": (200, 800),
    "unemployment": (50, 50),
    "work_injury": (0, 40),
    "maternity": (0, 80),
}
INSURANCES = tuple(RATES)
CONTRIBUTION_CSV_HEADER = (
    "certificate_no",
    "holder_name",
    "holder_id",
    "insurance",
    "month",
    "employer_code",
    "employer_name",
    "base",
    "personal",
    "employer",
    "status",
)

BASE_MIN_YUAN = 3_500
BASE_MAX_YUAN = 30_000
OWED_SHARE = 0.03  # of months
EMPLOYER_CHANGE_SHARE = 0.08  # of people, once within the period
ANNUAL_RAISE_SHARE = 0.35  # of people, at the yearly base adjustment in July
EMPLOYER_POOL_SIZE = 3_000

_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_REFERENCE_YEAR = 2026
_WORKING_AGES = (20, 65)

# --- people -------------------------------------------------------------------------------------


def _weighted(table: str) -> tuple[str, ...]:
    """A pool from ``item:weight`` words, each item as often as its weight: `choice` draws by weight."""
    pool: list[str] = []
    for word in table.split():
        item, _, weight = word.rpartition(":")
        pool.extend([item] * int(weight))
    return tuple(pool)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Surnames with rough weights for Weihai (Shandong): the national top names plus the local ones
# (丛, 于, 曲, 鞠, 毕, 初, 宫, 隋).
_SURNAME_POOL = _weighted(
    "王:90 张:60 李:55 刘:50 孙:40 于:38 丛:12 杨:25 陈:22 赵:22 徐:20 高:18 马:14 姜:20 周:12 "
    "吴:10 郭:12 林:12 宋:14 曲:14 毕:10 鞠:10 谷:8 邹:8 梁:8 初:8 宫:7 隋:7 董:10 田:9 韩:10 "
    "唐:5 曹:6 许:7 邓:4 冯:6 程:5 蔡:4 袁:5 潘:4 贾:5 丁:7 范:5 汪:3 谭:3 夏:4 吕:7 苏:6 卢:5 "
    "蒋:4 杜:6 戚:5 车:4 连:4 慕:3 肖:5 段:4 崔:8 任:6 尹:5 邵:5 孔:4 庞:3 柳:3 龙:2 秦:4 邢:4 "
    "侯:5 岳:3 薛:4"
)
_SHARED_CHARACTERS = "建文晓春海明新宁立永丽红玉金德安"
_MALE_POOL = "伟强磊军勇杰涛斌浩鹏超刚平辉波国志华东峰亮健成俊凯宇航博昊天鑫庆林松福兴正宏振忠彬洪良培"
_MALE_POOL += _SHARED_CHARACTERS
_FEMALE_POOL = "芳娜敏静艳娟霞秀英玲燕梅莉婷雪琳慧颖洁倩佳欣悦晶璐萍翠兰凤云琴丹月彤桂美珍爱淑"
_FEMALE_POOL += _SHARED_CHARACTERS
_TWO_CHARACTER_GIVEN_SHARE = 0.62

# Region codes of birth registration: mostly Weihai's districts and county-level cities (371081
# is Wendeng before it became a district), some elsewhere in Shandong, a few further away.
_BIRTH_REGION_POOL = _weighted(
    "371002:32 371003:12 371081:6 371082:16 371083:10 370102:1 370203:1 370602:3 370612:2 "
    "370702:2 370802:1 371302:2 371402:1 371502:1 371602:1 371702:1 410102:1 220102:1 230102:1 "
    "210102:1"
)
# Where employers are registered: a name saying Rongcheng, Rushan or Wendeng registers there,
# others in the city's central district or one of its development zones.
_EMPLOYER_REGION_POOL = _weighted("371002:30 371071:14 371072:12 371073:8")
_PLACE_REGIONS = {"荣成市": "371082", "乳山市": "371083", "威海市文登区": "371003"}
_MALE_WORDS = {"male", "m", "男"}
_FEMALE_WORDS = {"female", "f", "女"}


def _given_name(rng: random.Random, pool: str) -> str:
    if rng.random() < _TWO_CHARACTER_GIVEN_SHARE:
        first = rng.choice(pool)
        second = rng.choice(pool)
        while second == first:
            second = rng.choice(pool)
        return first + second
    return rng.choice(pool)


def _person_name(rng: random.Random, *, male: bool) -> str:
    return rng.choice(_SURNAME_POOL) + _given_name(rng, _MALE_POOL if male else _FEMALE_POOL)


def chinese_name(rng: random.Random) -> str:
    """A plausible name of 2 or 3 characters: a common surname and one or two given characters."""
    return _person_name(rng, male=rng.random() < 0.5)


def _birth_date(rng: random.Random, youngest: int, oldest: int) -> date:
    """A birth date giving an age from `youngest` to `oldest` (inclusive) during 2026."""
    first = date(_REFERENCE_YEAR - oldest, 1, 1)
    last = date(_REFERENCE_YEAR - youngest, 12, 31)
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _is_male(sex: str) -> bool:
    word = sex.strip().lower()
    if word in _MALE_WORDS:
        return True
    if word in _FEMALE_WORDS:
        return False
    raise ValueError(f"sex is 'male' or 'female', not {sex!r}")


def identity_number(
    rng: random.Random, *, region: str = "371002", born: date | None = None, sex: str | None = None
) -> str:
    """A valid GB 11643 identity number: region, birth date, sequence (odd for men), check character.

    Without `born`, the holder is 20 to 65 years old in 2026; without `sex`, either.
    """
    if len(region) != 6 or not region.isdigit() or region[0] == "0":
        raise ValueError(f"a region code is 6 digits not starting with 0, not {region!r}")
    if born is None:
        born = _birth_date(rng, *_WORKING_AGES)
    male = rng.random() < 0.5 if sex is None else _is_male(sex)
    # The last digit of the sequence tells the sex; 000 is never given out.
    sequence = rng.randrange(500) * 2 + 1 if male else rng.randrange(1, 500) * 2
    first17 = f"{region}{born.year:04d}{born.month:02d}{born.day:02d}{sequence:03d}"
    return first17 + identity_check_character(first17)


def credit_code(rng: random.Random, *, region: str = "371000") -> str:
    """A valid GB 32100 unified social credit code of an enterprise (``91``) registered in `region`."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"a region code is 6 digits, not {region!r}")
    first17 = "91" + region + "".join(rng.choices(_CODE_ALPHABET, k=9))
    return first17 + credit_code_check_character(first17)


# --- employers ----------------------------------------------------------------------------------

_COMPANY_PLACE_POOL = _weighted("威海:50 威海市:14 山东:14 荣成市:9 乳山市:6 威海市文登区:7")
_TRADE_NAMES = _words(
    "华信 金宇 海创 远航 鑫达 恒通 宏昌 泰和 瑞丰 新元 东方 正源 广泰 永盛 蓝海 明珠 润达 百川 "
    "嘉禾 盛华 博润 天润 福瑞 安泰 隆顺 凯达 佳和 国信 祥云 鸿运 中和 昌盛 众诚 德润 宝隆 晨光 "
    "华通 鼎盛 信诺 腾飞 海洋 成山 石岛 刘公 环翠 威东 海达 金海 银滩 赤山 昆嵛 鑫海 利华 三益 "
    "万丰 北洋 东宇 荣海 正大 华威"
)
_INDUSTRY_POOL = _weighted(
    "精密机械:8 海洋食品:6 水产:6 渔具:5 轮胎:2 医疗器械:5 电子科技:7 船舶修造:3 纺织:4 服装:4 "
    "建筑工程:6 建设工程:3 物流:5 商贸:7 物业管理:4 餐饮管理:3 软件:3 信息技术:4 新材料:3 "
    "汽车零部件:4 印刷:2 海洋生物科技:3 进出口:3 地毯:1 工艺品:2 酒店管理:2 环保科技:2 "
    "人力资源:2 机电设备:3 石材:1"
)
_COMPANY_FORM_POOL = _weighted("有限公司:75 股份有限公司:12 有限责任公司:13")


def _company(rng: random.Random) -> tuple[str, str]:
    """(region code, name) of a plausible employer."""
    place = rng.choice(_COMPANY_PLACE_POOL)
    name = place + rng.choice(_TRADE_NAMES) + rng.choice(_INDUSTRY_POOL) + rng.choice(_COMPANY_FORM_POOL)
    return _PLACE_REGIONS.get(place) or rng.choice(_EMPLOYER_REGION_POOL), name


def company_name(rng: random.Random) -> str:
    """A plausible employer name: place, trade name, industry and legal form."""
    return _company(rng)[1]


@cache
def _employers() -> tuple[tuple[str, str], ...]:
    """The city's employers (code, name), the same on every run: people share employers."""
    rng = random.Random("certledger demo employers")  # noqa: S311 - test data, nothing secret
    names: set[str] = set()
    employers: list[tuple[str, str]] = []
    while len(employers) < EMPLOYER_POOL_SIZE:
        region, name = _company(rng)
        if name in names:
            continue
        names.add(name)
        employers.append((credit_code(rng, region=region), name))
    return tuple(employers)


def _employer(rng: random.Random) -> tuple[str, str]:
    """An employer, large ones (the first of the pool) more often than small ones."""
    pool = _employers()
    return pool[int(len(pool) * rng.random() ** 2)]


@dataclass(frozen=True, slots=True)
class Holder:
    """A person the claims are about: their name as the narrative says it, and their number."""

    name: str
    identity_number: str


def _month_before(day: date, months: int) -> str:
    """The month `months` months before the month of `day`, as YYYY-MM."""
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --- contribution certificate -------------------------------------------------------------------


@cache
def _months(start: str, count: int) -> tuple[tuple[str, bool], ...]:
    """`count` consecutive months from `start`, each with whether bases are adjusted in it (July)."""
    problem = year_month_problem(start)
    if problem:
        raise ValueError(f"start {start!r}: {problem}")
    year, month = int(start[:4]), int(start[5:])
    months = []
    for _ in range(count):
        months.append((f"{year:04d}-{month:02d}", month == 7))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def _base_yuan(rng: random.Random) -> int:
    """A monthly contribution base in yuan: most people near the city average, a long upper tail."""
    return min(BASE_MAX_YUAN, max(BASE_MIN_YUAN, round(rng.lognormvariate(8.75, 0.42))))


def _timeline(
    rng: random.Random, months: tuple[tuple[str, bool], ...]
) -> list[tuple[str, str, str, int, str]]:
    """Month by month: (month, employer code, employer name, base in fen, status)."""
    code, name = _employer(rng)
    base = _base_yuan(rng)
    change = rng.randrange(1, len(months)) if len(months) > 1 and rng.random() < EMPLOYER_CHANGE_SHARE else -1
    timeline = []
    for index, (month, adjusted) in enumerate(months):
        if index == change:
            new_code, new_name = _employer(rng)
            while new_code == code:
                new_code, new_name = _employer(rng)
            code, name = new_code, new_name
            base = min(BASE_MAX_YUAN, max(BASE_MIN_YUAN, round(base * rng.uniform(0.85, 1.25))))
        elif adjusted and index and rng.random() < ANNUAL_RAISE_SHARE:
            base = min(BASE_MAX_YUAN, round(base * rng.uniform(1.02, 1.08)))
        status = "owed" if rng.random() < OWED_SHARE else "paid"
        timeline.append((month, code, name, base * 100, status))
    return timeline


def contribution_claims(
    rng: random.Random,
    *,
    number: str,
    months: int = 12,
    insurances: Sequence[str] = ("pension",),
    start: str | None = None,
    today: date | None = None,
    holder: Holder | None = None,
) -> dict[str, Any]:
    """The core system's export for one contribution certificate: the holder and, per insurance,
    `months` monthly records from `start` (by default 2025-01, or given `today`, the months that
    end with the one before today's). Derived totals are left to the importer."""
    if start is None:
        start = "2025-01" if today is None else _month_before(today, months)
    if not 1 <= months <= 600:
        raise ValueError(f"a certificate has 1 to 600 months of records, not {months}")
    unknown = [name for name in insurances if name not in RATES]
    if unknown or not insurances or len(set(insurances)) != len(insurances):
        raise ValueError(
            f"insurances are distinct names among {', '.join(INSURANCES)}, not {list(insurances)}"
        )
    male = rng.random() < 0.5
    claims: dict[str, Any] = {
        "certificate_no": number,
        "holder_name": _person_name(rng, male=male),
        "holder_id": identity_number(
            rng, region=rng.choice(_BIRTH_REGION_POOL), sex="male" if male else "female"
        ),
    }
    if holder is not None:
        claims["holder_name"], claims["holder_id"] = holder.name, holder.identity_number
    timeline = _timeline(rng, _months(start, months))
    for insurance in insurances:
        personal_rate, employer_rate = RATES[insurance]  # in 0.01 %; shares round half up to a fen
        claims[insurance] = {
            "records": [
                {
                    "month": month,
                    "employer_code": code,
                    "employer_name": name,
                    "base": base,
                    "personal": (base * personal_rate + 5_000) // 10_000,
                    "employer": (base * employer_rate + 5_000) // 10_000,
                    "status": status,
                }
                for month, code, name, base, status in timeline
            ]
        }
    return claims


# --- pension qualification ----------------------------------------------------------------------

_BENEFIT_POOL = _weighted("enterprise_employee:68 public_institution:10 urban_rural_resident:22")
# Youngest retirement age per benefit, for (men, women).
_RETIREMENT_AGES = {
    "enterprise_employee": (60, 50),
    "public_institution": (60, 55),
    "urban_rural_resident": (60, 60),
}
_METHOD_POOL = _weighted("face_recognition:58 data_comparison:27 in_person:11 home_visit:4")
_AUTHENTICATED_FROM = date(2025, 1, 1)
_AUTHENTICATED_DAYS = 365  # all of 2025, so that each qualification year ends within 2026
_RECENT_AUTHENTICATION_DAYS = 300  # given today: a year that began at most 300 days ago goes on


def pension_claims(
    rng: random.Random, *, number: str, today: date | None = None, holder: Holder | None = None
) -> dict[str, Any]:
    """The core system's export for one pension qualification: a retiree authenticated in 2025
    (or, given `today`, in the 300 days up to it, so that the year it covers includes today) as
    still entitled, for the twelve months from the authentication."""
    benefit = rng.choice(_BENEFIT_POOL)
    male = rng.random() < 0.5
    youngest = _RETIREMENT_AGES[benefit][0 if male else 1] + 1
    # More young retirees than old ones; nobody older than 98.
    age = min(98, youngest + int(abs(rng.gauss(0, 11))))
    born = _birth_date(rng, age, age)
    method = "home_visit" if age >= 85 and rng.random() < 0.4 else rng.choice(_METHOD_POOL)
    authenticated = _AUTHENTICATED_FROM + timedelta(days=rng.randrange(_AUTHENTICATED_DAYS))
    if today is not None:
        authenticated = today - timedelta(days=rng.randrange(_RECENT_AUTHENTICATION_DAYS))
    name = _person_name(rng, male=male)
    number_of_holder = identity_number(
        rng, region=rng.choice(_BIRTH_REGION_POOL), born=born, sex="male" if male else "female"
    )
    if holder is not None:
        name, number_of_holder = holder.name, holder.identity_number
    return {
        "certificate_no": number,
        "holder_name": name,
        "holder_id": number_of_holder,
        "qualification_period": {
            "from": authenticated.isoformat(),
            "to": (_one_year_later(authenticated) - timedelta(days=1)).isoformat(),
        },
        "authentication_method": method,
        "authenticated_on": authenticated.isoformat(),
        "benefit_type": benefit,
    }


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# --- work-injury determination ------------------------------------------------------------------

_WEIHAI_HOSPITALS = _words(
    "威海市立医院 威海市中心医院 威海卫人民医院 文登整骨医院 荣成市人民医院 乳山市人民医院"
)
_WORKSHOPS = _words(
    "公司一号车间冲压工段 公司二号车间数控机床作业区 公司装配车间三号流水线 公司注塑车间 "
    "公司机加工车间 公司水产品加工车间 公司船坞二号工位 公司焊接车间"
)
_YARDS = _words("公司成品仓库 公司原料堆场 施工工地3号楼五层 公司物流中心装卸区 公司冷库 公司码头作业区")
_ROADS = _words(
    "环翠区文化中路与青岛北路交叉口 环翠区新威路 环翠区统一路与昆明路交叉口 高区世昌大道 经区海滨南路 "
    "经区齐鲁大道与青岛中路交叉口 环翠区花园中路 荣成市成山大道 文登区龙山路"
)
_WORKING_HOURS = (8, 9, 10, 11, 13, 14, 15, 16)


@dataclass(frozen=True, slots=True)
class _Scenario:
    """One kind of case: its determination, where it happens, what happens, how it is told."""

    weight: int
    result: str
    legal_basis: str
    story: str  # {time} {day} {name} {place} {hospital} {harm} {diagnosis}
    places: tuple[str, ...]
    harms: tuple[tuple[str, str], ...]  # (what happened, diagnosis)
    hours: tuple[int, ...] = _WORKING_HOURS
    hospitals: tuple[str, ...] = _WEIHAI_HOSPITALS


_ARTICLE_14 = "《工伤保险条例》第十四条"
_SCENARIOS = (
    _Scenario(
        30,
        "work_injury",
        _ARTICLE_14 + "第（一）项",
        "{time}，{name}在{place}操作设备进行生产作业时，{harm}，随即被同事送往{hospital}救治，经诊断为{diagnosis}。",
        _WORKSHOPS,
        (
            ("右手被冲压模具压伤", "右手示指末节开放性骨折"),
            ("左手被卷入传送带", "左手中指、环指挫裂伤"),
            ("右手被刀具划伤", "右手拇指屈肌腱断裂"),
            ("左手被模具挤压", "左手示指近节指骨骨折"),
            ("飞溅的铁屑击中右眼", "右眼角膜异物伤"),
        ),
    ),
    _Scenario(
        25,
        "work_injury",
        _ARTICLE_14 + "第（一）项",
        "{time}，{name}在{place}工作时{harm}，当即被送往{hospital}治疗，经诊断为{diagnosis}。",
        _YARDS,
        (
            ("搬运货物不慎滑倒", "右踝关节骨折"),
            ("在脚手架上作业时踩空坠落", "腰1椎体压缩性骨折"),
            ("被滑落的货箱砸伤左脚", "左足第一跖骨骨折"),
            ("清理地面积水时摔倒", "左桡骨远端骨折"),
            ("被倒车的叉车挤伤右腿", "右胫腓骨骨折"),
        ),
    ),
    _Scenario(
        5,
        "work_injury",
        _ARTICLE_14 + "第（二）项",
        "{time}，{name}上班前在{place}做开机前的设备检查时，{harm}，经{hospital}诊断为{diagnosis}。",
        _WORKSHOPS,
        (("左手被设备防护罩边缘划伤", "左手掌皮肤裂伤伴肌腱损伤"), ("被松脱的扳手击中面部", "鼻骨骨折")),
        hours=(7,),
    ),
    _Scenario(
        3,
        "work_injury",
        _ARTICLE_14 + "第（二）项",
        "{time}，{name}下班前在{place}清理设备时，{harm}，经{hospital}诊断为{diagnosis}。",
        _WORKSHOPS,
        (("右手被尚未停稳的转轴挂伤", "右手中指末节离断伤"), ("从操作平台上跌落", "右肱骨外科颈骨折")),
        hours=(17,),
    ),
    _Scenario(
        3,
        "work_injury",
        _ARTICLE_14 + "第（三）项",
        "{time}，{name}在{place}履行工作职责时，{harm}，经{hospital}诊断为{diagnosis}。",
        ("公司营业大厅", "门店收银台", "小区物业服务中心", "酒店前台"),
        (
            ("与前来办事的人员发生争执，被对方推倒在地", "左腕关节骨折"),
            ("劝阻顾客违规行为时遭对方殴打", "面部软组织挫伤、鼻骨骨折"),
        ),
    ),
    _Scenario(
        2,
        "work_injury",
        _ARTICLE_14 + "第（四）项",
        "{name}在{place}{harm}，{day}经{hospital}诊断为{diagnosis}。",
        ("公司打磨车间", "公司冲压车间", "公司焊接车间"),
        (
            ("从事打磨工作，长期接触矽尘", "职业性矽肺壹期"),
            ("从事冲压工作，长期接触噪声", "职业性噪声聋"),
            ("从事电焊工作，长期接触电焊烟尘", "职业性电焊工尘肺壹期"),
        ),
        hospitals=("山东省职业病医院",),
    ),
    _Scenario(
        4,
        "work_injury",
        _ARTICLE_14 + "第（五）项",
        "{time}，{name}受单位指派外出办理业务，在{place}{harm}，经{hospital}诊断为{diagnosis}。",
        ("青岛市城阳区春阳路", "烟台市莱山区港城东大街", "济南市历城区工业北路"),
        (("乘坐的出租车与一辆货车相撞", "胸部多发肋骨骨折"), ("在客户厂区卸货时被货物砸伤", "右足跟骨骨折")),
        hospitals=("青岛大学附属医院", "烟台毓璜顶医院", "山东省立医院"),
    ),
    _Scenario(
        8,
        "work_injury",
        _ARTICLE_14 + "第（六）项",
        "{time}，{name}在上班途中驾驶电动自行车行至{place}时{harm}，经交警部门认定{name}不负事故主要责任。"
        "经{hospital}诊断为{diagnosis}。",
        _ROADS,
        (
            ("与一辆小型轿车发生碰撞", "右锁骨骨折"),
            ("被一辆右转的货车刮倒", "左胫骨平台骨折"),
            ("被后方驶来的轿车追尾", "颈部软组织损伤、左膝挫伤"),
        ),
        hours=(7,),
    ),
    _Scenario(
        10,
        "work_injury",
        _ARTICLE_14 + "第（六）项",
        "{time}，{name}在下班途中步行至{place}时{harm}，经交警部门认定{name}无事故责任。"
        "经{hospital}诊断为{diagnosis}。",
        _ROADS,
        (("被一辆闯红灯的电动车撞倒", "右桡骨远端骨折"), ("被一辆转弯的小型客车撞倒", "左股骨颈骨折")),
        hours=(17, 18),
    ),
    _Scenario(
        3,
        "deemed_work_injury",
        "《工伤保险条例》第十五条第（一）项",
        "{time}，{name}在{place}工作时突发疾病晕倒，{harm}，于48小时内经{hospital}抢救无效死亡，死亡原因为{diagnosis}。",
        _WORKSHOPS + _YARDS,
        (("同事立即拨打120急救电话", "急性心肌梗死"), ("同事当即将其送医", "脑出血")),
    ),
    _Scenario(
        1,
        "deemed_work_injury",
        "《工伤保险条例》第十五条第（二）项",
        "{time}，{name}受单位安排在{place}参加抢险救灾工作时，{harm}，经{hospital}诊断为{diagnosis}。",
        ("环翠区羊亭镇山林火灾现场", "文登区泽头镇防汛抢险现场"),
        (("被倒伏的树木砸伤", "右肩胛骨骨折"), ("在湿滑的堤坝上摔倒", "左踝关节骨折")),
    ),
    _Scenario(
        1,
        "not_work_injury",
        "《工伤保险条例》第十六条第（二）项",
        "{time}，{name}在{place}作业时{harm}，经{hospital}诊断为{diagnosis}。经查，{name}事发时血液酒精含量超过"
        "80mg/100ml，属醉酒状态。",
        _WORKSHOPS + _YARDS,
        (("从货垛上摔落", "左锁骨骨折"), ("被设备挤伤右手", "右手示指骨折")),
    ),
    _Scenario(
        5,
        "not_work_injury",
        "《工伤保险条例》第十四条、第十五条",
        "{time}，{name}在午休时间于{place}{harm}，经{hospital}诊断为{diagnosis}，受伤时不在工作时间和工作岗位。",
        ("公司篮球场", "公司宿舍楼", "公司附近的健身广场"),
        (("打篮球时扭伤右膝", "右膝前交叉韧带损伤"), ("与同事打闹时摔倒", "右尺骨鹰嘴骨折")),
        hours=(12,),
    ),
    _Scenario(
        3,
        "not_work_injury",
        _ARTICLE_14 + "第（六）项",
        "{time}，{name}在下班途中驾驶电动自行车行至{place}时{harm}，经交警部门认定{name}负事故主要责任。"
        "经{hospital}诊断为{diagnosis}。",
        _ROADS,
        (("闯红灯与一辆小型轿车相撞", "左胫腓骨骨折"), ("逆向行驶与一辆货车相撞", "右股骨干骨折")),
        hours=(17, 18),
    ),
)
_SCENARIO_WEIGHTS = tuple(accumulate(scenario.weight for scenario in _SCENARIOS))
_INJURY_FROM = date(2025, 1, 1)
_INJURY_DAYS = (date(2026, 6, 30) - _INJURY_FROM).days + 1
_RECENT_INJURY_DAYS = (60, 541)  # given today: decided at least 60 days after the injury


def work_injury_claims(
    rng: random.Random, *, number: str, today: date | None = None, holder: Holder | None = None
) -> dict[str, Any]:
    """The core system's export for one work-injury determination: the worker (the `holder`,
    named in the narrative too, when given), the employer, what happened in 2025 or the first half
    of 2026 (or, given `today`, 60 to 540 days before it: a decision takes time), and the decision
    with its legal basis."""
    scenario = rng.choices(_SCENARIOS, cum_weights=_SCENARIO_WEIGHTS)[0]
    male = rng.random() < 0.6
    name = _person_name(rng, male=male) if holder is None else holder.name
    employer_code, employer_name = _employer(rng)
    day = _INJURY_FROM + timedelta(days=rng.randrange(_INJURY_DAYS))
    if today is not None:
        day = today - timedelta(days=rng.randrange(*_RECENT_INJURY_DAYS))
    harm, diagnosis = rng.choice(scenario.harms)
    place = rng.choice(scenario.places)
    spoken_day = f"{day.year}年{day.month}月{day.day}日"
    description = scenario.story.format(
        time=f"{spoken_day}{rng.choice(scenario.hours)}时{rng.randrange(0, 60, 5):02d}分许",
        day=spoken_day,
        name=name,
        place=place,
        hospital=rng.choice(scenario.hospitals),
        harm=harm,
        diagnosis=diagnosis,
    )
    injured_id = identity_number(
        rng,
        region=rng.choice(_BIRTH_REGION_POOL),
        born=_birth_date(rng, 20, 60),
        sex="male" if male else "female",
    )
    return {
        "certificate_no": number,
        "injured_name": name,
        "injured_id": injured_id if holder is None else holder.identity_number,
        "employer": {"code": employer_code, "name": employer_name},
        "injury": {"date": day.isoformat(), "place": place, "description": description},
        "determination": {"result": scenario.result, "legal_basis": scenario.legal_basis},
    }


# --- dispatch and generation --------------------------------------------------------------------

ClaimsMaker = Callable[..., dict[str, Any]]
GENERATORS: dict[str, ClaimsMaker] = {
    CONTRIBUTION: contribution_claims,
    PENSION: pension_claims,
    WORK_INJURY: work_injury_claims,
}


def _type_name(type_name: str) -> str:
    """The type's ``x-certledger.name``, also accepting ``name/v1``."""
    name, _, version = type_name.partition("/v")
    if name not in GENERATORS or version not in ("", "1"):
        raise ValueError(f"no demo data for {type_name!r}; known types: {', '.join(GENERATORS)}")
    return name


def claims_for(
    type_name: str,
    rng: random.Random,
    *,
    number: str,
    today: date | None = None,
    holder: Holder | None = None,
) -> dict[str, Any]:
    """The input claims of one certificate of the type named `type_name` (its ``x-certledger.name``);
    dated around `today` and about `holder` when they are given (see the module's docstring)."""
    return GENERATORS[_type_name(type_name)](rng, number=number, today=today, holder=holder)


def certificate_numbers(
    type_name: str, count: int, *, seed: int = 2026, prefix: str | None = None
) -> list[str]:
    """`count` distinct certificate numbers: the prefix and consecutive serials from a point the
    seed chooses, as an export from the middle of a year's numbering would have them."""
    name = _type_name(type_name)
    prefix = NUMBER_PREFIXES[name] if prefix is None else prefix
    if not _PREFIX_PATTERN.match(prefix):
        raise ValueError(f"a number prefix is capital letters, digits and dashes, not {prefix!r}")
    width = max(6, len(str(count)))
    if len(prefix) + width > 40:
        raise ValueError(f"the prefix {prefix!r} makes numbers longer than 40 characters")
    modulus = 10**width - 1  # serials run from 1 to 99…9 and wrap around
    start = random.Random(f"{name}:{seed}:numbers").randrange(modulus)  # noqa: S311 - test data
    return [f"{prefix}{(start + index) % modulus + 1:0{width}d}" for index in range(count)]


def generate(
    type_name: str, count: int, *, seed: int = 2026, prefix: str | None = None
) -> Iterator[dict[str, Any]]:
    """`count` documents of the type, the same for the same type and seed; their certificate
    numbers are distinct (`prefix` replaces the type's default prefix, e.g. ``JF3710002025``)."""
    if count < 0:
        raise ValueError(f"the count of documents cannot be negative ({count})")
    name = _type_name(type_name)
    numbers = certificate_numbers(name, count, seed=seed, prefix=prefix)  # checks come first, not lazily
    rng = random.Random(f"{name}:{seed}")  # noqa: S311 - test data, nothing secret
    make = GENERATORS[name]
    return (make(rng, number=number) for number in numbers)


# --- writers ------------------------------------------------------------------------------------


def write_jsonl(path: Path, documents: Iterable[Mapping[str, Any]]) -> None:
    """One JSON object per line, UTF-8, Chinese as it is (not escaped)."""
    with path.open("w", encoding="utf-8", newline="\n") as file:
        for document in documents:
            file.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
            file.write("\n")


def write_contribution_csv(path: Path, documents: Iterable[Mapping[str, Any]]) -> None:
    """One line per monthly record, the lines of one certificate consecutive: the layout the
    contribution schema's ``x-certledger.csv`` describes (``insurance`` names the insurance)."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(CONTRIBUTION_CSV_HEADER)
        for document in documents:
            head = (document["certificate_no"], document["holder_name"], document["holder_id"])
            for insurance, value in document.items():
                if insurance not in RATES:
                    continue
                for record in value["records"]:
                    writer.writerow(
                        (
                            *head,
                            insurance,
                            record["month"],
                            record["employer_code"],
                            record["employer_name"],
                            record["base"],
                            record["personal"],
                            record["employer"],
                            record["status"],
                        )
                    )


def write_flat_csv(path: Path, documents: Iterable[Mapping[str, Any]]) -> None:
    """One line per document, a column per leaf claim named by its dotted path (``injury.date``),
    the columns in the order of the type's schema properties."""
    rows = [_flatten(document) for document in documents]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    order = _schema_paths(set(seen))
    columns = [path for path in order if path in seen] + [path for path in seen if path not in order]
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)


def _flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping):
            flat.update(_flatten(item, path + "."))
        elif isinstance(item, list | tuple):
            raise ValueError(f"{path} is a list; a flat CSV holds one value per column")
        elif item is None:
            flat[path] = ""
        elif isinstance(item, bool):
            flat[path] = "true" if item else "false"
        else:
            flat[path] = str(item)
    return flat


@cache
def _schema_property_paths() -> tuple[tuple[str, ...], ...]:
    """For each built-in schema, the dotted paths of its properties in the schema's order."""
    return tuple(
        tuple(_property_paths(json.loads(path.read_text(encoding="utf-8"))))
        for path in sorted(SCHEMAS_DIR.glob("*.json"))
    )


def _property_paths(schema: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, child in schema.get("properties", {}).items():
        yield prefix + key
        yield from _property_paths(child, f"{prefix}{key}.")


def _schema_paths(columns: set[str]) -> list[str]:
    """The property order of the schema that covers the most of `columns` (none: empty)."""
    best: tuple[str, ...] = ()
    for paths in _schema_property_paths():
        if len(columns.intersection(paths)) > len(columns.intersection(best)):
            best = paths
    return list(best)


# --- command ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scripts.demo_data TYPE COUNT OUT_FILE [--format csv|jsonl] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.demo_data",
        description="Writes reproducible synthetic input records for a certificate type.",
    )
    parser.add_argument("type", choices=tuple(GENERATORS), help="the type's x-certledger.name")
    parser.add_argument("count", type=int, help="how many certificates")
    parser.add_argument("out_file", type=Path, help="where to write them")
    parser.add_argument(
        "--format", choices=("csv", "jsonl"), default=None, help="default: csv for a .csv file, else jsonl"
    )
    parser.add_argument("--seed", type=int, default=2026, help="the same seed gives the same records")
    parser.add_argument("--prefix", default=None, help="certificate number prefix instead of the type's")
    arguments = parser.parse_args(argv)
    if arguments.count < 0:
        parser.error("COUNT is not negative")
    output: Path = arguments.out_file
    form = arguments.format or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
    try:
        documents = generate(arguments.type, arguments.count, seed=arguments.seed, prefix=arguments.prefix)
        if form == "jsonl":
            write_jsonl(output, documents)
        elif arguments.type == CONTRIBUTION:
            write_contribution_csv(output, documents)
        else:
            write_flat_csv(output, documents)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {arguments.count} {arguments.type} documents to {output} ({form})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
