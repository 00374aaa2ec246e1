"""Demo data: two sales teams with a few hundred customers to try Guanxi with.

Everything is written through the services (people, accounts, contacts, timeline, class flow,
consent, shares, recycle bin), so the demo carries a real change log and exercises the same
rules as a user would. A fixed seed makes it the same on every machine; only the passwords are
random (or all ``GUANXI_DEMO_PASSWORD``).

The name pools here are shared with :mod:`guanxi.customers.seed`, which composes millions of
records from them for benchmarks.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from pypinyin import lazy_pinyin

from guanxi.core import people
from guanxi.core import services as core
from guanxi.core.models import ShareAccess, Tag, Team, User
from guanxi.core.validators import USCC_CHARS, uscc_check_char

from . import services
from .models import (
    ALLOWED_TRANSITIONS,
    Account,
    AccountKind,
    BuyingRole,
    Channel,
    ClassTransition,
    ConsentRecord,
    ConsentStatus,
    Contact,
    Industry,
    Profitability,
    ProfitContribution,
    ReceivablesClass,
    RegionClass,
    RelationshipClass,
    Settlement,
    SourceClass,
)

# --------------------------------------------------------------------------------------------
# name pools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    province: str
    districts: tuple[str, ...]
    area_code: str
    division: str  # administrative division code, the 3rd–8th characters of a USCC
    region: str  # "east", "south" or "other"


# city, province, telephone area code, division code, sales region, districts
_CITY_TABLE = """
上海 上海市 021 310000 east 浦东新区 闵行区 徐汇区 嘉定区 松江区
杭州 浙江省 0571 330100 east 西湖区 滨江区 余杭区 萧山区
苏州 江苏省 0512 320500 east 工业园区 吴中区 相城区 昆山市
南京 江苏省 025 320100 east 鼓楼区 江宁区 建邺区 玄武区
宁波 浙江省 0574 330200 east 鄞州区 北仑区 海曙区
无锡 江苏省 0510 320200 east 滨湖区 新吴区 梁溪区
合肥 安徽省 0551 340100 east 蜀山区 包河区 庐阳区
温州 浙江省 0577 330300 east 鹿城区 瓯海区 龙湾区
常州 江苏省 0519 320400 east 武进区 新北区 天宁区
广州 广东省 020 440100 south 天河区 黄埔区 番禺区 白云区
深圳 广东省 0755 440300 south 南山区 福田区 宝安区 龙岗区
东莞 广东省 0769 441900 south 长安镇 松山湖 虎门镇 南城街道
佛山 广东省 0757 440600 south 顺德区 南海区 禅城区
珠海 广东省 0756 440400 south 香洲区 金湾区
厦门 福建省 0592 350200 south 思明区 湖里区 集美区
福州 福建省 0591 350100 south 鼓楼区 仓山区 台江区
南宁 广西壮族自治区 0771 450100 south 青秀区 西乡塘区
北京 北京市 010 110000 other 海淀区 朝阳区 丰台区
成都 四川省 028 510100 other 高新区 武侯区 锦江区
武汉 湖北省 027 420100 other 洪山区 江汉区 东湖高新区
西安 陕西省 029 610100 other 雁塔区 未央区
天津 天津市 022 120000 other 滨海新区 南开区
"""
CITIES = tuple(
    City(name, province, tuple(districts), area_code, division, region)
    for name, province, area_code, division, region, *districts in (
        line.split() for line in _CITY_TABLE.strip().splitlines()
    )
)

# 字号: the distinctive part of a Chinese company name.
BRANDS = (
    "恒达", "华信", "新科", "宏远", "金诚", "瑞丰", "鼎盛", "永泰", "天成", "汇通",
    "博远", "中联", "启明", "锦华", "安泰", "众合", "德润", "嘉禾", "凯越", "明扬",
    "长青", "华茂", "同创", "信达", "普润", "海川", "东升", "鸿运", "泰和", "华晨",
    "盛世", "金桥", "远航", "新纪元", "联创", "卓越", "星辰", "蓝海", "祥瑞", "国泰",
    "万通", "立信", "合众", "思源", "创新", "恒通", "隆盛", "惠民", "友谊", "天宇",
    "九州", "环宇", "金鼎", "宝丰", "银河", "正阳", "精工", "先锋", "荣昌", "新亚",
)  # fmt: skip

# 行业词 with the industry it suggests.
TRADES = (
    ("机械", Industry.MANUFACTURING),
    ("精密制造", Industry.MANUFACTURING),
    ("电子", Industry.MANUFACTURING),
    ("化工", Industry.MANUFACTURING),
    ("纺织", Industry.MANUFACTURING),
    ("食品", Industry.MANUFACTURING),
    ("汽车零部件", Industry.MANUFACTURING),
    ("科技", Industry.IT),
    ("信息技术", Industry.IT),
    ("软件", Industry.IT),
    ("网络科技", Industry.IT),
    ("贸易", Industry.RETAIL),
    ("商贸", Industry.RETAIL),
    ("连锁超市", Industry.RETAIL),
    ("物流", Industry.LOGISTICS),
    ("供应链管理", Industry.LOGISTICS),
    ("建设工程", Industry.CONSTRUCTION),
    ("置业", Industry.CONSTRUCTION),
    ("医疗器械", Industry.HEALTHCARE),
    ("医药", Industry.HEALTHCARE),
    ("新能源", Industry.ENERGY),
    ("电力设备", Industry.ENERGY),
    ("通信技术", Industry.TELECOM),
    ("酒店管理", Industry.HOSPITALITY),
    ("餐饮管理", Industry.HOSPITALITY),
    ("教育科技", Industry.EDUCATION),
    ("农业发展", Industry.AGRICULTURE),
    ("文化传媒", Industry.MEDIA),
    ("企业管理咨询", Industry.SERVICES),
    ("融资租赁", Industry.FINANCE),
)
COMPANY_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司")

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏",
    "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石",
    "廖", "贾", "夏", "韦", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段",
    "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严",
    "欧阳", "司马", "诸葛", "上官",
)  # fmt: skip
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "志强", "俊", "鹏",
    "辉", "婷", "晶", "浩", "宇", "欣怡", "子涵", "梓萱", "浩然", "宇轩", "思远", "晓东",
    "海燕", "春梅", "国庆", "建国", "丽华", "雪", "琳", "颖", "倩", "斌", "凯", "飞", "慧",
    "玲", "云", "帆", "嘉怡", "子轩", "一鸣", "雨桐", "佳琪", "晓明", "志刚", "建军", "秀兰",
    "玉兰", "天佑", "博文", "思琪", "梦瑶", "俊杰", "文静", "海涛", "立新", "晓燕", "永强",
    "振华", "金凤", "丹", "亮", "鑫", "旭", "晨", "悦", "冰", "蕾",
)  # fmt: skip

ENGLISH_FIRST = (
    "James", "Emma", "Oliver", "Sophia", "Daniel", "Charlotte", "Lucas", "Amelia", "Henry",
    "Grace", "Michael", "Hannah", "David", "Chloe", "Thomas", "Laura", "Peter", "Anna",
    "Robert", "Julia", "Kevin", "Sarah", "Mark", "Rachel",
)  # fmt: skip
ENGLISH_LAST = (
    "Smith", "Müller", "Johnson", "Tan", "Lee", "Brown", "Schmidt", "Wong", "Taylor", "Garcia",
    "Nakamura", "Kim", "Walker", "Fischer", "Lim", "Martin", "Clarke", "Weber", "Ng", "Hughes",
)  # fmt: skip
ENGLISH_BRANDS = (
    "Northwind", "Bluewater", "Summit", "Evergreen", "Pacific Rim", "Redwood", "Harbor",
    "Silverline", "Keystone", "Brightstone", "Crescent", "Meridian", "Orchard", "Alpine",
)  # fmt: skip
ENGLISH_TRADES = (
    ("Trading", Industry.RETAIL),
    ("Logistics", Industry.LOGISTICS),
    ("Systems", Industry.IT),
    ("Foods", Industry.MANUFACTURING),
    ("Medical", Industry.HEALTHCARE),
    ("Energy", Industry.ENERGY),
    ("Consulting", Industry.SERVICES),
    ("Machinery", Industry.MANUFACTURING),
)
# (country, suffix, city, province/state, phone prefix)
FOREIGN_PLACES = (
    ("SG", "Pte. Ltd.", "Singapore", "", "+65 6"),
    ("DE", "GmbH", "München", "Bayern", "+49 89 "),
    ("US", "Inc.", "San Jose", "California", "+1 408 "),
    ("GB", "Ltd", "Manchester", "England", "+44 161 "),
    ("JP", "K.K.", "Osaka", "Osaka", "+81 6 "),
    ("MY", "Sdn. Bhd.", "Kuala Lumpur", "", "+60 3 "),
)

ROADS = (
    "人民路", "建设路", "中山路", "解放路", "科技园路", "长江路", "工业大道", "创业路",
    "滨江大道", "新华路", "迎宾大道",
)  # fmt: skip
TITLES = (
    ("总经理", "总经办", BuyingRole.DECISION_MAKER),
    ("董事长", "董事会", BuyingRole.DECISION_MAKER),
    ("副总经理", "总经办", BuyingRole.ECONOMIC_BUYER),
    ("财务总监", "财务部", BuyingRole.ECONOMIC_BUYER),
    ("采购经理", "采购部", BuyingRole.ECONOMIC_BUYER),
    ("采购专员", "采购部", BuyingRole.GATEKEEPER),
    ("技术总监", "技术部", BuyingRole.TECHNICAL_BUYER),
    ("工程师", "技术部", BuyingRole.USER),
    ("生产主管", "生产部", BuyingRole.USER),
    ("IT经理", "信息部", BuyingRole.TECHNICAL_BUYER),
    ("行政主管", "行政部", BuyingRole.GATEKEEPER),
    ("运营总监", "运营部", BuyingRole.INFLUENCER),
    ("项目经理", "项目部", BuyingRole.CHAMPION),
)
ENGLISH_TITLES = (
    ("Managing Director", "Management", BuyingRole.DECISION_MAKER),
    ("Head of Procurement", "Procurement", BuyingRole.ECONOMIC_BUYER),
    ("CTO", "Engineering", BuyingRole.TECHNICAL_BUYER),
    ("Operations Manager", "Operations", BuyingRole.INFLUENCER),
    ("Buyer", "Procurement", BuyingRole.GATEKEEPER),
)
PRODUCTS = (
    "数控机床", "ERP 系统", "服务器", "包装材料", "冷链运输", "工业机器人", "办公设备",
    "检测仪器", "年度维保合同", "云服务", "安防系统", "光伏组件",
)  # fmt: skip
CONSENT_METHODS = (
    ConsentRecord.Method.WEB_FORM,
    ConsentRecord.Method.WRITTEN,
    ConsentRecord.Method.VERBAL,
)
TAG_NAMES = ("重点客户", "展会线索", "老客户推荐", "政府项目", "KA", "待回访")

# note templates: (kind, direction, subject, body); {p} is a product, {n} a contact
NOTE_TEMPLATES = (
    (
        "call",
        "outbound",
        "电话回访",
        "与{n}电话沟通{p}的使用情况，客户总体满意，提出希望缩短交货期。",
    ),
    (
        "call",
        "inbound",
        "客户来电咨询",
        "{n}来电询问{p}的报价和供货周期，已承诺三天内给出正式报价。",
    ),
    ("visit", "outbound", "上门拜访", "拜访{n}，参观了生产线，了解到明年有扩产计划，对{p}有需求。"),
    ("meeting", "", "方案交流会", "与{n}及技术团队开会讨论{p}的实施方案，下周提交修改后的方案。"),
    ("email", "outbound", "发送报价单", "已通过邮件向{n}发送{p}报价单，有效期 30 天。"),
    ("message", "inbound", "微信沟通", "{n}微信反馈{p}的发票信息需要更新，已转财务处理。"),
    ("note", "", "客户背景", "客户是本地行业龙头之一，决策链较长，{n}是关键联系人。"),
    ("note", "", "合同续签提醒", "{p}合同将于下季度到期，需提前与{n}沟通续签事宜。"),
)
ENGLISH_NOTES = (
    (
        "call",
        "outbound",
        "Follow-up call",
        "Called {n} about the {p} order; delivery date confirmed.",
    ),
    ("email", "outbound", "Quotation sent", "Sent {n} a quotation for {p}, valid 30 days."),
    ("meeting", "", "Quarterly review", "Quarterly business review with {n}; they plan to expand."),
)


# --------------------------------------------------------------------------------------------
# value generators (shared with the scale seeder)
# --------------------------------------------------------------------------------------------


def pinyin_of(text: str) -> str:
    return "".join(s for s in lazy_pinyin(text) if s.isascii() and s.isalnum()).lower()


def make_uscc(rnd: random.Random, division: str) -> str:
    """A unified social credit code with a valid check character (an enterprise, ``91``)."""
    body = "91" + division + "".join(rnd.choice(USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def make_mobile(rnd: random.Random) -> str:
    return f"1{rnd.choice('3578')}{rnd.randrange(10)}{rnd.randrange(10**8):08d}"


def make_landline(rnd: random.Random, area_code: str) -> str:
    digits = 8 if len(area_code) == 3 else 7
    return f"{area_code}-{rnd.randrange(2 * 10 ** (digits - 1), 10**digits)}"


def chinese_person(rnd: random.Random) -> tuple[str, str, str]:
    """(name, surname, given name)."""
    surname = rnd.choice(SURNAMES)
    given = rnd.choice(GIVEN_NAMES)
    return surname + given, surname, given


def weighted(rnd: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rnd.choices(values, weights=weights)[0]


CLASS_WEIGHTS = (
    (RelationshipClass.NON_CUSTOMER, 6),
    (RelationshipClass.POTENTIAL, 20),
    (RelationshipClass.TARGET, 14),
    (RelationshipClass.FIRST_TIME, 16),
    (RelationshipClass.REPEAT, 20),
    (RelationshipClass.LOYAL, 14),
    (RelationshipClass.LOST, 10),
)
SOURCE_WEIGHTS = (
    (SourceClass.END, 70),
    (SourceClass.INTERMEDIARY, 20),
    (SourceClass.PUBLIC_INTEREST, 7),
    (SourceClass.INTERNAL, 3),
)
SETTLEMENT_WEIGHTS = ((Settlement.CASH, 35), (Settlement.PREPAID, 20), (Settlement.CREDIT, 45))
RECEIVABLES_WEIGHTS = (
    (ReceivablesClass.NONE, 50),
    (ReceivablesClass.SHORT_TERM, 30),
    (ReceivablesClass.LONG_TERM, 15),
    (ReceivablesClass.BAD_DEBT, 5),
)


def contribution_for(rnd: random.Random, relationship: str) -> str:
    """Loyal and repeat buyers are more often the core and VIP customers."""
    if relationship in (RelationshipClass.LOYAL, RelationshipClass.REPEAT):
        pairs = (
            (ProfitContribution.ORDINARY, 45),
            (ProfitContribution.CORE, 35),
            (ProfitContribution.VIP, 20),
        )
    else:
        pairs = (
            (ProfitContribution.ORDINARY, 85),
            (ProfitContribution.CORE, 12),
            (ProfitContribution.VIP, 3),
        )
    return weighted(rnd, pairs)


def flow_path(rnd: random.Random, final: str) -> list[str]:
    """A walk along the customer flow model that ends in ``final``, starting where a new
    account starts (non-customer or potential)."""
    forward = [
        RelationshipClass.NON_CUSTOMER,
        RelationshipClass.POTENTIAL,
        RelationshipClass.TARGET,
        RelationshipClass.FIRST_TIME,
        RelationshipClass.REPEAT,
        RelationshipClass.LOYAL,
    ]
    start = 0 if rnd.random() < 0.25 else 1
    if final in forward:
        end = forward.index(final)
        path = forward[min(start, end) : end + 1]
        # some repeat and loyal customers were lost once and won back
        if final in (RelationshipClass.REPEAT, RelationshipClass.LOYAL) and rnd.random() < 0.15:
            path = [*forward[start:4], RelationshipClass.LOST, final]
        return path
    # lost: lost after the first purchase or later
    stop = rnd.choice((3, 4, 4, 5))
    return [*forward[start : stop + 1], RelationshipClass.LOST]


# --------------------------------------------------------------------------------------------
# the demo
# --------------------------------------------------------------------------------------------

DEMO_TEAMS = {"sales": "销售部 Sales", "east": "华东 East", "south": "华南 South"}
# username, display name, role, team key, manages
DEMO_PEOPLE = (
    ("zhou.jian", "周健", "sales_manager", "sales", "sales"),
    ("wang.fang", "王芳", "sales_manager", "east", "east"),
    ("li.na", "李娜", "sales_rep", "east", None),
    ("zhang.wei", "张伟", "sales_rep", "east", None),
    ("chen.jing", "陈静", "sales_rep", "east", None),
    ("liu.yang", "刘洋", "sales_manager", "south", "south"),
    ("huang.min", "黄敏", "sales_rep", "south", None),
    ("zhao.lei", "赵磊", "sales_rep", "south", None),
    ("emily.chen", "Emily Chen", "sales_rep", "south", None),
    ("sun.li", "孙丽", "service_agent", "east", None),
)


@dataclass
class DemoUser:
    username: str
    name: str
    role: str
    team: str
    password: str


@dataclass
class DemoSummary:
    users: list[DemoUser] = field(default_factory=list)
    accounts: int = 0
    contacts: int = 0
    notes: int = 0
    transitions: int = 0
    seconds: float = 0.0


class DemoAlreadyLoaded(Exception):
    pass


def demo_loaded() -> bool:
    return Team.objects.filter(name=DEMO_TEAMS["east"]).exists()


def _password(shared: str | None) -> str:
    return shared or secrets.token_urlsafe(9)


def _people(admin: User, password: str | None, summary: DemoSummary) -> dict[str, Any]:
    teams: dict[str, Team] = {}
    teams["sales"] = people.create_team(admin, {"name": DEMO_TEAMS["sales"]})
    for key in ("east", "south"):
        teams[key] = people.create_team(admin, {"name": DEMO_TEAMS[key], "parent": teams["sales"]})
    if password:
        validate_password(password)
    secrets_ = [_password(password) for _ in DEMO_PEOPLE]
    # PBKDF2 takes a good part of a second per password and releases the GIL: hash them all
    # at once on the machine's cores instead of one by one inside create_user.
    with ThreadPoolExecutor() as pool:
        hashes = list(pool.map(make_password, secrets_))
    users: dict[str, User] = {}
    for (username, name, role, team_key, manages), secret, hashed in zip(
        DEMO_PEOPLE, secrets_, hashes, strict=True
    ):
        user = people.create_user(
            admin,
            {
                "username": username,
                "email": f"{username}@example.com",
                "first_name": name,  # a Chinese full name in one field keeps its order
                "team": teams[team_key],
                "language": "en" if name.isascii() else "zh-hans",
            },
            password=None,
            roles=[role],
        )
        User.objects.filter(pk=user.pk).update(password=hashed)
        users[username] = user
        summary.users.append(DemoUser(username, name, role, DEMO_TEAMS[team_key], secret))
        if manages:
            team = Team.objects.get(pk=teams[manages].pk)
            people.update_team(admin, team, {"manager": user}, expected_version=None)
    return {"teams": teams, "users": users}


def _account_data(rnd: random.Random, region: str, tags: list[Tag]) -> dict[str, Any]:
    """Field values of one account of a team working ``region`` ("east" or "south")."""
    roll = rnd.random()
    relationship = weighted(rnd, CLASS_WEIGHTS)
    common = {
        "relationship_class": relationship,
        "settlement": weighted(rnd, SETTLEMENT_WEIGHTS),
        "receivables_class": weighted(rnd, RECEIVABLES_WEIGHTS),
        "profit_contribution": contribution_for(rnd, relationship),
        "profitability": rnd.choice(
            ["", Profitability.PROFITABLE, Profitability.PROFITABLE, Profitability.UNPROFITABLE]
        ),
        "rating": rnd.choice([None, None, 2, 3, 3, 4, 4, 5]),
        "tags": rnd.sample(tags, k=rnd.choice((0, 0, 0, 1, 1, 2))),
    }
    if roll < 0.08:  # a foreign company
        country, suffix, city, state, phone = rnd.choice(FOREIGN_PLACES)
        trade, industry = rnd.choice(ENGLISH_TRADES)
        brand = rnd.choice(ENGLISH_BRANDS)
        domain = f"{brand.lower().replace(' ', '')}-{trade.lower()}.com"
        return common | {
            "name": f"{brand} {trade} {suffix}",
            "kind": AccountKind.COMPANY,
            "industry": industry,
            "source_class": weighted(rnd, SOURCE_WEIGHTS[:2]),
            "region_class": RegionClass.FOREIGN,
            "country": country,
            "province": state,
            "city": city,
            "phone": f"{phone}{rnd.randrange(1000, 9999)} {rnd.randrange(1000, 9999)}",
            "email": f"info@{domain}",
            "website": f"https://www.{domain}",
            "_english": True,
        }
    own = [c for c in CITIES if c.region == region]
    city = rnd.choice(CITIES) if rnd.random() < 0.15 else rnd.choice(own)
    region_class = RegionClass.OWN_REGION if city.region == region else RegionClass.OTHER_REGION
    address = {
        "country": "CN",
        "province": city.province,
        "city": city.name,
        "district": rnd.choice(city.districts),
        "street": f"{rnd.choice(ROADS)}{rnd.randrange(1, 999)}号",
        "postal_code": f"{city.division[:3]}{rnd.randrange(0, 999):03d}",
        "region_class": region_class,
    }
    if roll < 0.82:  # a Chinese company
        brand = rnd.choice(BRANDS)
        trade, industry = rnd.choice(TRADES)
        domain = f"{pinyin_of(brand)}{pinyin_of(trade)[:6]}.com.cn"
        return (
            common
            | address
            | {
                "name": f"{city.name}{brand}{trade}{rnd.choice(COMPANY_SUFFIXES)}",
                "kind": AccountKind.COMPANY,
                "industry": industry,
                "source_class": weighted(rnd, SOURCE_WEIGHTS),
                "tax_number": make_uscc(rnd, city.division),
                "phone": make_landline(rnd, city.area_code),
                "email": f"{rnd.choice(('info', 'sales', 'service', 'contact'))}@{domain}",
                "website": f"https://www.{domain}" if rnd.random() < 0.7 else "",
                "_brand": brand,
                "_domain": domain,
            }
        )
    # a person or a household (B2C)
    name, surname, _given = chinese_person(rnd)
    household = roll > 0.94
    return (
        common
        | address
        | {
            "name": f"{surname}家" if household else name,
            "kind": AccountKind.HOUSEHOLD if household else AccountKind.PERSON,
            "source_class": SourceClass.END,
            "settlement": rnd.choice((Settlement.CASH, Settlement.PREPAID)),
            "receivables_class": ReceivablesClass.NONE,
            "phone": make_mobile(rnd),
            "_person": name,
            "_surname": surname,
        }
    )


def _contact_rows(rnd: random.Random, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The contacts of one account, in the account's language."""
    kind = data["kind"]
    if data.get("_english"):
        count = rnd.choice((1, 1, 2, 3))
        domain = data["email"].split("@", 1)[1]
        rows = []
        for _ in range(count):
            first, last = rnd.choice(ENGLISH_FIRST), rnd.choice(ENGLISH_LAST)
            title, department, role = rnd.choice(ENGLISH_TITLES)
            local = f"{first}.{last}".lower().replace("ü", "ue")
            rows.append(
                {
                    "name": f"{first} {last}",
                    "title": title,
                    "department": department,
                    "buying_role": role,
                    "phone": data["phone"],
                    "email": f"{local}@{domain}",
                    "preferred_channel": Channel.EMAIL,
                }
            )
        return rows
    if kind == AccountKind.PERSON:
        return [
            {
                "name": data["_person"],
                "mobile": data["phone"],
                "buying_role": BuyingRole.DECISION_MAKER,
                "preferred_channel": rnd.choice((Channel.WECHAT, Channel.PHONE)),
                "wechat_id": f"wx_{pinyin_of(data['_person'])}{rnd.randrange(10, 999)}",
            }
        ]
    if kind == AccountKind.HOUSEHOLD:
        rows = []
        for given in rnd.sample(GIVEN_NAMES, 2):
            rows.append(
                {
                    "name": data["_surname"] + given,
                    "mobile": make_mobile(rnd),
                    "buying_role": rnd.choice((BuyingRole.DECISION_MAKER, BuyingRole.INFLUENCER)),
                    "preferred_channel": Channel.WECHAT,
                }
            )
        return rows
    rows = []
    for title, department, role in rnd.sample(TITLES, rnd.choice((1, 2, 2, 3, 3, 4))):
        name, surname, given = chinese_person(rnd)
        rows.append(
            {
                "name": name,
                "title": title,
                "department": department,
                "buying_role": role,
                "mobile": make_mobile(rnd),
                "phone": data["phone"] if rnd.random() < 0.3 else "",
                "email": f"{pinyin_of(given)}.{pinyin_of(surname)}@{data['_domain']}",
                "wechat_id": f"{pinyin_of(name)}{rnd.randrange(10, 9999)}"
                if rnd.random() < 0.5
                else "",
                "preferred_channel": rnd.choice(
                    (Channel.PHONE, Channel.WECHAT, Channel.EMAIL, Channel.VISIT, "")
                ),
                "birthday": (
                    date(rnd.randrange(1965, 1998), rnd.randrange(1, 13), rnd.randrange(1, 29))
                    if rnd.random() < 0.3
                    else None
                ),
            }
        )
    return rows


def _spread(start: datetime, end: datetime, count: int, rnd: random.Random) -> list[datetime]:
    span = (end - start).total_seconds()
    return sorted(start + timedelta(seconds=rnd.random() * span) for _ in range(count))


def load_demo(
    admin: User,
    *,
    accounts: int = 300,
    seed: int = 2026,
    password: str | None = None,
) -> DemoSummary:
    """Create the demo teams, users and ``accounts`` customers with contacts and history.

    ``admin`` creates the teams and users; each rep then creates their own customers, logs
    calls and visits and moves customers along the flow model, so the change log reads as if
    the team had worked in Guanxi for the past eighteen months (record dates are set back to
    match; the change log keeps the real time the demo was loaded). Raises
    :class:`DemoAlreadyLoaded` when the demo teams exist.
    """
    if demo_loaded():
        raise DemoAlreadyLoaded("the demo data is already loaded")
    started = time.monotonic()
    password = password or os.environ.get("GUANXI_DEMO_PASSWORD") or None
    rnd = random.Random(seed)
    summary = DemoSummary()
    now = timezone.now().replace(microsecond=0)
    origin = now - timedelta(days=540)
    with transaction.atomic():
        org = _people(admin, password, summary)
        users = org["users"]
        tags = [Tag.objects.get_or_create(name=name)[0] for name in TAG_NAMES]
        owners = {
            "east": [users[u] for u in ("li.na", "zhang.wei", "chen.jing", "wang.fang")],
            "south": [users[u] for u in ("huang.min", "zhao.lei", "emily.chen", "liu.yang")],
        }
        created: list[tuple[Account, list[datetime]]] = []
        by_brand: dict[str, Account] = {}
        for index in range(accounts):
            region = "east" if index % 2 == 0 else "south"
            # reps own most customers; the manager keeps a few key accounts
            owner = rnd.choices(owners[region], weights=(30, 30, 30, 10))[0]
            data = _account_data(rnd, region, tags)
            hidden = {k: data.pop(k) for k in [k for k in data if k.startswith("_")]}
            english, brand = hidden.get("_english", False), hidden.get("_brand")
            final = data.pop("relationship_class")
            # most customers arrive in their class (entered from an older system); the rest
            # move along the flow model in Guanxi, one to three steps
            path = flow_path(rnd, final)[-rnd.choice((1, 1, 2, 2, 3, 4)) :]
            # group companies: a second company of the same brand becomes a subsidiary
            if brand and brand in by_brand and by_brand[brand].owner_id == owner.pk:
                data["parent"] = by_brand[brand]
            account = services.create_account(
                owner, data | {"relationship_class": path[0]}, owner=owner
            )
            if brand and brand not in by_brand:
                by_brand[brand] = account
            summary.accounts += 1
            times = _spread(origin, now - timedelta(days=3), len(path) + 1, rnd)
            for new_class in path[1:]:
                account = services.change_relationship_class(
                    owner, account, new_class, expected_version=account.version
                )
                summary.transitions += 1
            created.append((account, times))
            contacts = []
            for row in _contact_rows(rnd, data | hidden):
                contacts.append(services.create_contact(owner, row | {"account": account}))
                summary.contacts += 1
            summary.notes += _timeline(rnd, owner, account, contacts, times[0], now, english)
            _consent(rnd, owner, contacts, times[0], now)
        _backdate(created)
        _extras(rnd, users, created)
    summary.seconds = time.monotonic() - started
    return summary


def _timeline(
    rnd: random.Random,
    owner: User,
    account: Account,
    contacts: list[Contact],
    since: datetime,
    now: datetime,
    english: bool,
) -> int:
    count = rnd.choice((0, 1, 1, 2, 2, 3, 4, 5))
    templates = ENGLISH_NOTES if english else NOTE_TEMPLATES
    for when in _spread(since, now, count, rnd):
        kind, direction, subject, body = rnd.choice(templates)
        contact = rnd.choice(contacts) if contacts else None
        target = contact if contact is not None and rnd.random() < 0.4 else account
        text = body.format(p=rnd.choice(PRODUCTS), n=contact.name if contact else account.name)
        core.add_note(
            owner,
            target,
            {
                "kind": kind,
                "direction": direction,
                "subject": subject,
                "body": text,
                "occurred_at": when,
                "duration_minutes": rnd.choice((10, 15, 30, 45, 60, 90))
                if kind in ("call", "visit", "meeting")
                else None,
            },
        )
    return count


def _consent(
    rnd: random.Random, owner: User, contacts: list[Contact], since: datetime, now: datetime
) -> None:
    for contact in contacts:
        if rnd.random() < 0.7:
            continue
        channel = Channel.EMAIL if contact.email else Channel.SMS
        if channel == Channel.SMS and not contact.mobile:
            continue
        given, withdrawn = _spread(since, now, 2, rnd)
        method = rnd.choice(
            (
                ConsentRecord.Method.WEB_FORM,
                ConsentRecord.Method.WRITTEN,
                ConsentRecord.Method.VERBAL,
            )
        )
        services.record_consent(owner, contact, channel, ConsentStatus.GRANTED, method, at=given)
        if rnd.random() < 0.15:
            services.record_consent(
                owner,
                contact,
                channel,
                ConsentStatus.WITHDRAWN,
                ConsentRecord.Method.EMAIL,
                note="退订 / unsubscribed",
                at=withdrawn,
            )


def _backdate(created: list[tuple[Account, list[datetime]]]) -> None:
    """Give accounts, contacts and class moves the dates of the demo's story.

    The services stamp everything with the time of the load; a demo where every customer
    arrived today would show empty trend and flow reports.
    """
    first = {account.pk: times for account, times in created}
    moves = list(ClassTransition.objects.filter(account_id__in=first).order_by("account_id", "id"))
    position: dict[int, int] = {}
    for move in moves:
        i = position.get(move.account_id, 0)
        position[move.account_id] = i + 1
        times = first[move.account_id]
        move.at = times[min(i, len(times) - 1)]
    ClassTransition.objects.bulk_update(moves, ["at"], batch_size=500)
    for account, times in created:
        Account.all_objects.filter(pk=account.pk).update(created_at=times[0])
        Contact.all_objects.filter(account_id=account.pk).update(created_at=times[0])


def _extras(rnd: random.Random, users: dict[str, User], created: list[Any]) -> None:
    """Shares across teams, a likely duplicate and a few deleted customers for the bin."""
    east = [a for a, _t in created if a.team_id == users["li.na"].team_id]
    south = [a for a, _t in created if a.team_id == users["huang.min"].team_id]
    # the south manager helps on a few east accounts, and an east rep on a south one
    for account in rnd.sample(east, min(4, len(east))):
        owner = User.objects.get(pk=account.owner_id)
        core.share_record(owner, account, user=users["liu.yang"], access=ShareAccess.READ)
    if south:
        account = south[0]
        owner = User.objects.get(pk=account.owner_id)
        core.share_record(owner, account, user=users["zhang.wei"], access=ShareAccess.EDIT)
    # a likely duplicate of a company, entered again by a colleague without the tax number
    companies = [a for a in east if a.kind == AccountKind.COMPANY and a.tax_number]
    if companies:
        original = companies[0]
        services.create_account(
            users["chen.jing"],
            {
                "name": original.name.replace("有限公司", "公司"),
                "phone": original.phone,
                "city": original.city,
                "province": original.province,
                "industry": original.industry,
                "relationship_class": RelationshipClass.POTENTIAL,
            },
        )
    # a few deleted customers wait in the recycle bin
    for account in rnd.sample(south[1:], min(3, max(len(south) - 1, 0))):
        owner = User.objects.get(pk=account.owner_id)
        services.delete_account(owner, account, expected_version=None)


def allowed_path(path: list[str]) -> bool:
    """Whether each step of ``path`` is a move the flow model allows (used by tests)."""
    return all(b in ALLOWED_TRANSITIONS[a] for a, b in zip(path, path[1:], strict=False))
