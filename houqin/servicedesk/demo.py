"""The service desk's demo: the catalog of the issue, a month of history and a live queue.

On top of the demo hospital (houqin/org/demo.py) it writes:
  - the service catalog: groups and categories with Chinese and English names, icons, default
    teams, weights and service-level targets (the defaults of docs/workorders.md; stricter for
    medical gas, lifts and transport);
  - a month of work orders up to the moment of loading, ~800 a day (times the scale): repairs
    ~35 %, transport ~30 %, cleaning ~20 %; busy mornings and afternoons, quiet nights; taken by
    phone, the portal, QR codes and the API; at places of the right kind (a bed for a patient
    transport, a lift lobby for a lift); worked by the category's team; with the times, holds,
    rework, cancellations, ratings, call-backs, assessments and complaint answers a real desk
    has, and each order's timeline exactly as the services and the SLA sweep would have written it;
  - a live queue: ~40 open orders of the last hours in every open status, some near or past a
    deadline, so that the desk and the dispatch board have work to show.

Deterministic: the same seed and the same `now` give the same orders (the numbers aside, which
are made of the ids). Orders are planned and written a week at a time (memory stays bounded for a
history of any length: `load_demo(orders=1_000_000)` for benchmarks, with `timeline_days` to write
the timelines of the last days only); their ids are given on insert, so the numbers are written at
once. Rows go in with executemany on SQLite and COPY on PostgreSQL, each value converted as its
field would (bulk_create spends most of its time compiling every value of every row into SQL);
`created` and `last_updated` are the order's own, not the time of loading. Scale 1 (~24,000 orders,
~150,000 events) takes about 6 s of CPU on SQLite; a million orders with a month of timelines about
3 minutes (bench/README.md).

A loaded demo is brought up to now by `refresh_demo` (`manage.py seed_demo`, so every `make
run`): its open orders and its last day are written again ending now, with a fresh live queue,
and a gap since the last load is filled (up to a month). No audit rows: loading a demo is
nobody's change."""

import contextlib
import datetime
import functools
import gc
import itertools
import json
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from houqin.org.demo import DEFAULT_SEED, MOBILE_PREFIXES
from houqin.org.demo import demo_loaded as hospital_loaded
from houqin.org.models import DirectoryEntry, Location, LocationKind, Person, Team
from houqin.servicedesk import services
from houqin.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    FollowUpMethod,
    HoldReason,
    Priority,
    ServiceCategory,
    SlaTarget,
    Status,
    WorkOrder,
    WorkOrderEvent,
)

ORDERS_PER_DAY = 800
DEFAULT_DAYS = 30
# The service desk's demo counts as loaded when its first catalog group exists.
MARKER_CATEGORY_CODE = "WX"
# The live queue: open orders of the last hours, by status (times the scale).
LIVE_QUEUE = {
    Status.NEW: 7,
    Status.ACCEPTED: 5,
    Status.DISPATCHED: 10,
    Status.IN_PROGRESS: 12,
    Status.ON_HOLD: 5,
}
LIVE_HOURS = 3
# Assignees of orders this recent are people on duty now.
ON_DUTY_HOURS = 12
# The SLA sweep runs every minute, the auto-close job every 10 minutes.
SWEEP_SECONDS = 60
AUTO_CLOSE_SECONDS = 600

# --- the catalog ---------------------------------------------------------------------------------

URGENT_3_10_60 = {Priority.URGENT: (3, 10, 60), Priority.HIGH: (5, 15, 120)}
TRANSPORT_SLA = {
    Priority.URGENT: (3, 10, 30),
    Priority.HIGH: (5, 15, 45),
    Priority.NORMAL: (10, 30, 90),
    Priority.LOW: (30, 60, 240),
}
COMPLAINT_SLA = {
    Priority.URGENT: (10, 60, 1440),
    Priority.HIGH: (20, 120, 2880),
    Priority.NORMAL: (30, 240, 4320),
    Priority.LOW: (60, 480, 10080),
}


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    name_en: str
    icon: str
    team: str | None
    sample: int = 100
    auto_dispatch: bool = False


GROUPS = (
    Group("WX", "维修", "Repairs", "tools", "SDWX"),
    Group("BJ", "保洁", "Cleaning", "stars", "BJB", sample=20),
    Group("YS", "运送", "Transport", "truck", "YSZX", sample=20, auto_dispatch=True),
    Group("SS", "膳食", "Catering", "cup-hot", "SSB"),
)


@dataclass(frozen=True)
class Kind:
    """A category of the demo catalog and how its orders behave.

    share: % of all orders; places: (location pool, weight) — an empty pool name means no
    location; work: median minutes from arrival to completion; travel: median minutes from
    dispatch to arrival; trades: the team members who take these jobs first."""

    code: str
    group: str | None
    name: str
    name_en: str
    icon: str
    team: str | None
    weight: str
    share: float
    places: tuple[tuple[str, float], ...]
    work: float
    problems: tuple[str, ...]
    results: tuple[str, ...]
    trades: tuple[str, ...] = ()
    travel: float = 12
    sla: dict = field(default_factory=dict)
    default_priority: str = Priority.NORMAL
    urgent_share: float = 0.03
    high_share: float = 0.12
    hold_share: float = 0.0
    sample: int | None = None  # None: the group's
    auto_dispatch: bool | None = None
    is_complaint: bool = False
    requires_location: bool = True


KINDS = (
    # --- 维修 ---------------------------------------------------------------------------------
    Kind(
        "WX-DQ",
        "WX",
        "电气",
        "Electrical",
        "lightning-charge",
        "SDWX",
        "1.5",
        10,
        (("rooms", 4), ("ward_room", 2), ("office", 1), ("public", 1), ("plant", 1)),
        45,
        ("灯不亮", "灯管闪烁", "插座没电", "开关损坏", "空开跳闸", "床头灯不亮", "应急灯不亮", "插座冒火花"),
        ("更换灯管", "更换LED灯具", "更换插座面板", "更换开关", "复位空开，查明为电热水壶过载", "紧固接线端子"),
        trades=("ELEC",),
        hold_share=0.07,
        urgent_share=0.05,
    ),
    Kind(
        "WX-GPS",
        "WX",
        "给排水",
        "Plumbing",
        "droplet",
        "SDWX",
        "1.5",
        9,
        (("toilet", 4), ("ward_room", 2), ("wet_room", 2), ("plant", 1)),
        55,
        ("水龙头漏水", "下水道堵塞", "马桶堵塞", "没有热水", "水管漏水", "地漏返水", "冲水阀失灵"),
        ("更换水龙头阀芯", "疏通下水管道", "疏通马桶", "更换角阀", "更换冲水阀", "紧固管件，更换密封圈"),
        trades=("PLUMB",),
        hold_share=0.07,
    ),
    Kind(
        "WX-NT",
        "WX",
        "暖通空调",
        "Heating and air conditioning",
        "thermometer-half",
        "NTKT",
        "2",
        7,
        (("ward_room", 4), ("office", 2), ("clinic", 1), ("rooms", 1)),
        70,
        ("空调不制冷", "空调不制热", "空调滴水", "空调噪音大", "新风口无风", "暖气片不热", "温控面板失灵"),
        ("清洗过滤网，补充冷媒", "更换温控面板", "疏通冷凝水管", "调整风阀", "更换风机电容", "排气后恢复正常"),
        trades=("HVAC", "BOIL"),
        hold_share=0.08,
    ),
    Kind(
        "WX-DT",
        "WX",
        "电梯",
        "Lifts",
        "arrow-down-up",
        "DTB",
        "2",
        3,
        (("lift_hall", 1),),
        40,
        ("电梯困人", "电梯门关不上", "电梯平层不准", "电梯按钮失灵", "电梯异响", "电梯停运"),
        ("解救被困人员，复位安全回路", "调整门机", "重新平层校准", "更换召唤按钮", "润滑导轨", "更换门锁触点"),
        trades=("LIFT",),
        travel=6,
        sla=URGENT_3_10_60,
        urgent_share=0.15,
        high_share=0.25,
        hold_share=0.05,
    ),
    Kind(
        "WX-MC",
        "WX",
        "门窗木工",
        "Doors, windows and carpentry",
        "door-open",
        "SDWX",
        "1.2",
        4,
        (("ward_room", 3), ("office", 2), ("rooms", 2)),
        60,
        ("门锁坏了", "门关不严", "窗户关不上", "柜门脱落", "床头柜抽屉坏了", "闭门器漏油"),
        ("更换门锁", "调整合页", "更换窗户执手", "重新安装柜门", "修复抽屉滑轨", "更换闭门器"),
        trades=("CARP", "GEN"),
        hold_share=0.06,
    ),
    Kind(
        "WX-SBWW",
        "WX",
        "医疗设备外围",
        "Medical equipment periphery",
        "heart-pulse",
        "SDWX",
        "1.5",
        2,
        (("ward_support", 3), ("ward_room", 2), ("clinic", 1), ("rooms", 1)),
        50,
        ("设备带插座无电", "吊塔照明不亮", "治疗车轮子坏了", "输液轨道卡住", "呼叫器不响", "检查床升降失灵"),
        ("更换设备带插座", "更换吊塔灯泡", "更换脚轮", "调整输液轨道滑车", "更换呼叫器按键", "检修升降电机线路"),
        trades=("ELEC", "GEN"),
        hold_share=0.06,
    ),
    # --- 保洁 ---------------------------------------------------------------------------------
    Kind(
        "BJ-LS",
        "BJ",
        "临时保洁",
        "Ad-hoc cleaning",
        "bucket",
        "BJB",
        "1",
        16,
        (("ward_room", 3), ("toilet", 3), ("public", 2), ("rooms", 2)),
        22,
        ("地面有呕吐物需清理", "卫生间需要打扫", "地面有积水", "垃圾桶满了", "病房需要拖地", "走廊有血迹需处理"),
        ("已清理消毒", "已打扫完毕", "已清理积水并放置警示牌", "已清运垃圾", "已拖地", "已按规范清理消毒"),
        trades=("CLEAN",),
        travel=10,
    ),
    Kind(
        "BJ-ZM",
        "BJ",
        "终末消毒",
        "Terminal disinfection",
        "shield-plus",
        "BJB",
        "1.5",
        4,
        (("ward_room", 3), ("bed", 2)),
        50,
        ("病人出院，床单位终末消毒", "隔离病人转出，病房终末消毒", "床单位需要终末处理"),
        ("已完成床单位终末消毒", "已完成病房终末消毒，紫外线照射1小时", "已更换床单被套并消毒"),
        trades=("CLEAN",),
        travel=15,
    ),
    # --- 运送 ---------------------------------------------------------------------------------
    Kind(
        "YS-BR",
        "YS",
        "病人",
        "Patients",
        "person-wheelchair",
        "YSZX",
        "1",
        10,
        (("bed", 4), ("ward_room", 1)),
        25,
        ("送病人做CT", "送病人做B超", "送病人去手术室", "接病人回病房", "送病人做核磁", "陪检：心电图"),
        ("已送达并交接", "已安全送达", "已接回病房并交接", "检查完毕已送回"),
        trades=("PORT",),
        travel=8,
        sla=TRANSPORT_SLA,
        high_share=0.15,
    ),
    Kind(
        "YS-BB",
        "YS",
        "标本",
        "Specimens",
        "eyedropper",
        "YSZX",
        "0.5",
        9,
        (("nurse_station", 5), ("clinic", 1)),
        14,
        ("血标本送检验科", "急查血气送检", "病理标本送病理科", "尿标本送检", "血培养标本送检"),
        ("已送检验科签收", "已送达并扫码交接", "已送病理科签收"),
        trades=("PORT",),
        travel=6,
        sla=TRANSPORT_SLA,
        urgent_share=0.08,
        high_share=0.25,
    ),
    Kind(
        "YS-YP",
        "YS",
        "药品",
        "Medicines",
        "capsule",
        "YSZX",
        "0.5",
        6,
        (("nurse_station", 5), ("rooms", 1)),
        18,
        ("药房取药", "静配中心取输液", "急需取抢救药品", "退药送回药房"),
        ("已取回并交接护士", "已送达病区", "已退回药房"),
        trades=("PORT",),
        travel=8,
        sla=TRANSPORT_SLA,
    ),
    Kind(
        "YS-WP",
        "YS",
        "物品",
        "Goods",
        "box-seam",
        "YSZX",
        "0.5",
        5,
        (("ward_support", 3), ("office", 1), ("rooms", 1)),
        22,
        ("领取办公用品", "送氧气瓶", "取无菌包", "送设备去维修", "搬运轮椅"),
        ("已送达", "已取回", "已搬运完毕"),
        trades=("PORT",),
        travel=10,
        sla=TRANSPORT_SLA,
    ),
    # --- 膳食 ---------------------------------------------------------------------------------
    Kind(
        "SS-DC",
        "SS",
        "订餐咨询",
        "Meal orders and questions",
        "telephone",
        "SSB",
        "0.5",
        2,
        (("", 3), ("nurse_station", 1), ("bed", 1)),
        8,
        ("咨询糖尿病餐订餐", "病人要订流质饮食", "咨询明天菜单", "取消今天晚餐", "家属订餐"),
        ("已登记订餐", "已解答并登记", "已取消订单"),
        trades=("COOK",),
        travel=4,
        requires_location=False,
    ),
    Kind(
        "SS-SC",
        "SS",
        "送餐",
        "Meal delivery",
        "basket",
        "SSB",
        "0.5",
        3,
        (("bed", 3), ("ward_room", 2)),
        20,
        ("午餐还没送到", "送错餐了", "补送一份晚餐", "加送营养餐"),
        ("已补送", "已更换并致歉", "已送达"),
        trades=("COOK",),
        travel=10,
    ),
    # --- categories of their own -------------------------------------------------------------------
    Kind(
        "YQ",
        None,
        "医用气体/氧气",
        "Medical gas and oxygen",
        "lungs",
        "NTKT",
        "2",
        1,
        (("bed", 3), ("ward_room", 1), ("gas", 1)),
        35,
        ("中心供氧压力低", "氧气终端漏气", "负压吸引无负压", "氧气表不准", "湿化瓶接口漏气"),
        ("更换氧气终端密封圈", "调整减压阀，压力恢复正常", "更换负压表", "更换湿化瓶接头"),
        trades=("HVAC", "BOIL"),
        travel=6,
        sla=URGENT_3_10_60,
        default_priority=Priority.HIGH,
        urgent_share=0.2,
        high_share=0.6,
        hold_share=0.03,
    ),
    Kind(
        "PH",
        None,
        "陪护",
        "Patient companions",
        "person-hearts",
        "YSZX",
        "1",
        2,
        (("bed", 1),),
        90,
        ("需要陪护人员", "夜间陪护申请", "陪同病人检查", "协助病人翻身喂饭"),
        ("已安排陪护", "陪护已到岗", "已陪同完成检查"),
        trades=("PORT",),
        travel=20,
    ),
    Kind(
        "JC",
        None,
        "加床",
        "Extra beds",
        "plus-square",
        "YSZX",
        "0.8",
        2,
        (("ward_room", 1),),
        25,
        ("病房需要加床", "需要陪护床", "急诊收治需加床"),
        ("已加床并铺好床单位", "已送陪护床", "已加床"),
        trades=("PORT",),
        travel=15,
    ),
    Kind(
        "BF",
        None,
        "被服洗涤",
        "Linen and laundry",
        "basket3",
        "YSZX",
        "0.5",
        2.5,
        (("linen", 3), ("ward_room", 1), ("bed", 1)),
        30,
        ("收取污染被服", "需要补充病号服", "送洗窗帘", "急需干净床单"),
        ("已收取并登记", "已补充送达", "已收取送洗"),
        trades=("PORT",),
        travel=15,
    ),
    Kind(
        "PS",
        None,
        "物品配送/快递",
        "Deliveries and parcels",
        "box2",
        "YSZX",
        "0.3",
        2,
        (("office", 3), ("nurse_station", 1)),
        25,
        ("有快递需要送到科室", "寄送文件到东院区", "取快递", "送会议资料"),
        ("已送达签收", "已寄出", "已取回"),
        trades=("PORT", "DRIVE"),
        travel=15,
        sla={Priority.NORMAL: (30, 120, 480)},
        auto_dispatch=True,
        sample=20,
    ),
    Kind(
        "TS",
        None,
        "投诉建议",
        "Complaints and suggestions",
        "chat-square-text",
        None,
        "1",
        0.5,
        (("", 3), ("public", 1), ("ward_room", 1)),
        1200,
        (),
        (),
        travel=60,
        sla=COMPLAINT_SLA,
        urgent_share=0.0,
        high_share=0.2,
        is_complaint=True,
        requires_location=False,
    ),
)

# Complaints and suggestions: (what the requester wrote, the team concerned, the written answer).
COMPLAINTS = (
    (
        "卫生间打扫不及时，有异味",
        "BJB",
        "已与保洁公司沟通，卫生间巡查频次调整为每2小时一次，并对责任保洁员进行了培训。",
    ),
    ("送餐太晚，饭菜都凉了", "SSB", "已要求膳食班调整配送路线，病区送餐时间提前15分钟，并配备保温箱。"),
    ("运送员态度生硬", "YSZX", "已约谈当事运送员并扣减当月考核分，运送中心将组织服务礼仪培训。"),
    ("维修后现场没有清理", "SDWX", "已向维修班组通报，要求完工后清理现场并请科室确认，纳入班组考核。"),
    ("夜间空调噪音大，影响病人休息", "NTKT", "已检查空调机组并更换风机轴承，噪音已明显降低，感谢反馈。"),
    ("电梯等候时间太长", "DTB", "已调整高峰时段电梯运行模式，并增设一名电梯引导员。"),
    ("建议病区走廊增加座椅", "SDWX", "感谢建议，已列入本季度后勤改造计划，预计下月完成安装。"),
    ("建议食堂增加清淡菜品", "SSB", "感谢建议，膳食班已在午餐增加两道清淡菜品。"),
    ("保洁拖地后地面太滑", "BJB", "已要求保洁员拖地后放置防滑警示牌，并改用微湿拖地方式。"),
    ("陪护人员夜间睡觉不管病人", "YSZX", "已核实情况，已更换陪护人员并加强夜间巡查。"),
)

HOLD_NOTES = {
    HoldReason.PARTS: ("等待采购配件", "灯具型号需订货", "密封件缺货，已申购", "等待备件到货"),
    HoldReason.CONTRACTOR: ("需厂家工程师上门", "需外包维保公司专业人员处理"),
    HoldReason.DEPARTMENT: ("病人在床，约定下午处理", "科室要求夜间施工", "等待科室腾空房间"),
}
CANCEL_REASONS = ("科室自行处理", "报修人撤回", "信息填写有误，已重新报修", "问题已自行恢复")
DUPLICATE_REASON = "重复报修，已合并"
REOPEN_REASONS = ("修好后又坏了", "问题没有解决", "还是漏水", "还是不亮")
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (62, 27, 7, 2.5, 1.5)
RATING_COMMENTS = {
    5: ("", "", "", "师傅很专业", "处理及时，点赞", "速度快，态度好", "非常满意"),
    4: ("", "", "还可以", "来得有点慢", "处理得不错"),
    3: ("等了比较久", "处理一般", "现场没有清理"),
    2: ("等了两个多小时才来人", "问题没彻底解决", "态度不太好"),
    1: ("修完第二天又坏了", "打了三次电话才来", "服务态度很差"),
}
ASSESSMENT_REMARKS = {
    "good": ("处理规范", "响应及时，处理到位", "现场清理到位", "按规范完成"),
    "late": ("超时完成，已提醒班组", "响应偏慢", "未按时到场"),
}

# Channels: phone 55 %, web and mobile 25 %, QR codes 15 %, API 5 %.
CHANNELS = (Channel.PHONE, Channel.WEB, Channel.MOBILE, Channel.QR, Channel.API)
CHANNEL_WEIGHTS = (55, 12.5, 12.5, 15, 5)
PORTAL_CHANNELS = (Channel.WEB, Channel.MOBILE, Channel.QR, Channel.API)
API_SYSTEM = "护理信息系统"
# Orders per hour of the day: busy 8–11 and 14–17, quiet at night.
HOUR_WEIGHTS = (
    1.0,
    0.7,
    0.5,
    0.45,
    0.5,
    0.8,
    1.6,
    3.2,
    6.0,
    7.0,
    7.0,
    6.0,
    4.0,
    3.6,
    5.6,
    6.2,
    5.8,
    4.6,
    3.2,
    2.6,
    2.1,
    1.8,
    1.5,
    1.2,
)
WEEKEND_FACTOR = 0.75
# Orders are planned and written a week at a time; the last run is at least two days long.
CHUNK_HOURS = 7 * 24
LAST_CHUNK_HOURS = 48
# After loading this many orders (a month or more) the database's planner statistics are refreshed.
ANALYZE_AFTER = 20_000
# Refreshing a loaded demo writes its last day again, ending now, with a new live queue; a demo
# whose newest order is less than an hour old is left as it is.
REFRESH_DAYS = 1
REFRESH_AFTER = datetime.timedelta(hours=1)
COUNTED = ("service categories", "SLA targets", "work orders", "open work orders", "timeline events")


def demo_loaded() -> bool:
    return ServiceCategory.objects.filter(code=MARKER_CATEGORY_CODE).exists()


def demo_category_codes() -> list[str]:
    return [group.code for group in GROUPS] + [kind.code for kind in KINDS]


# --- one order's story ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who did something: a user when they have a login, else only a name ("" for the system)."""

    user: object
    name: str

    @classmethod
    def of_user(cls, user):
        return cls(user, (user.get_full_name() or user.username) if user is not None else "")

    @classmethod
    def of_person(cls, person):
        return cls(person.user if person.user_id else None, person.name)


SYSTEM = Actor(None, "")


@dataclass
class Hold:
    reason: str
    note: str
    start: datetime.datetime
    end: datetime.datetime | None  # None: still waiting

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60) if self.end else 0


@dataclass
class Rework:
    at: datetime.datetime
    reason: str
    by: Actor
    first_completed: datetime.datetime
    arrived: datetime.datetime | None
    completed: datetime.datetime | None


@dataclass
class Plan:
    """One order as it happened: who and where, and the moment each stage was reached (None:
    not reached, or not yet by `now`)."""

    kind: Kind
    created: datetime.datetime
    channel: str = Channel.PHONE
    priority: str = Priority.NORMAL
    location: int | None = None
    department: int | None = None
    requester_user: object = None
    requester_name: str = ""
    requester_phone: str = ""
    description: str = ""
    creator: Actor = SYSTEM
    owner: Actor | None = None
    accepted_at: datetime.datetime | None = None
    accept_by: Actor | None = None
    dispatched_at: datetime.datetime | None = None
    dispatch_by: Actor | None = None
    team: Team | None = None
    assignee: Person | None = None
    arrived_at: datetime.datetime | None = None
    hold: Hold | None = None
    completed_at: datetime.datetime | None = None  # the last completion
    rework: Rework | None = None
    result: str = ""
    labor: int = 0
    difficulty: Decimal = Decimal("1")
    followed_up_at: datetime.datetime | None = None
    rating: int | None = None
    rating_comment: str = ""
    follow_up_method: str = ""
    follow_up_by: Actor | None = None
    closed_at: datetime.datetime | None = None
    closed_by: Actor | None = None  # None: closed by policy
    score: int | None = None
    remarks: str = ""
    answer: str = ""
    complaint_team: str = ""
    cancelled_at: datetime.datetime | None = None
    cancel_reason: str = ""
    cancel_by: Actor | None = None
    duplicate_of: "Plan | None" = None
    merged: list = field(default_factory=list)  # (duplicate plan, when, by)
    order: WorkOrder | None = None
    events: list = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return Status.CANCELLED
        if self.closed_at is not None:
            return Status.CLOSED
        if self.followed_up_at is not None:
            return Status.FOLLOWED_UP
        if self.completed_at is not None:
            return Status.COMPLETED
        if self.rework is not None:
            return Status.IN_PROGRESS if self.rework.arrived is not None else Status.DISPATCHED
        if self.hold is not None and self.hold.end is None:
            return Status.ON_HOLD
        if self.arrived_at is not None:
            return Status.IN_PROGRESS
        if self.dispatched_at is not None:
            return Status.DISPATCHED
        if self.accepted_at is not None:
            return Status.ACCEPTED
        return Status.NEW

    def cut_after(self, moment: datetime.datetime) -> None:
        """Forget every stage after `moment`: the order was cancelled then, or `now` came first."""
        if self.accepted_at is not None and self.accepted_at > moment:
            self.accepted_at = self.accept_by = self.owner = None
        if self.dispatched_at is not None and self.dispatched_at > moment:
            self.dispatched_at = self.dispatch_by = self.assignee = None
        if self.arrived_at is not None and self.arrived_at > moment:
            self.arrived_at = None
        if self.hold is not None:
            if self.hold.start > moment:
                self.hold = None
            elif self.hold.end is not None and self.hold.end > moment:
                self.hold.end = None
        if self.rework is not None:
            rework = self.rework
            if rework.at > moment:
                self.completed_at, self.rework = rework.first_completed, None
            else:
                if rework.arrived is not None and rework.arrived > moment:
                    rework.arrived = None
                if rework.completed is not None and rework.completed > moment:
                    rework.completed = None
                self.completed_at = rework.completed
        if self.completed_at is not None and (self.completed_at > moment or self.on_hold_now):
            self.completed_at = None
        if self.completed_at is None or (self.followed_up_at is not None and self.followed_up_at > moment):
            self.followed_up_at = self.rating = self.follow_up_by = None
            self.rating_comment = self.follow_up_method = ""
        if self.completed_at is None or (self.closed_at is not None and self.closed_at > moment):
            self.closed_at = self.closed_by = self.score = None
            self.remarks = ""

    @property
    def on_hold_now(self) -> bool:
        return self.hold is not None and self.hold.end is None


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def _minutes(value: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=round(value * 60))


class ServiceDeskDemo:
    """Builds the catalog, then the orders a week at a time in memory, each week written with a few
    bulk inserts (memory stays bounded however long the history)."""

    def __init__(
        self,
        *,
        scale: float = 1,
        days: float = DEFAULT_DAYS,
        seed: int | str = DEFAULT_SEED,
        now: datetime.datetime | None = None,
        start: datetime.datetime | None = None,
        timeline_days: float | None = None,
    ):
        if scale <= 0 or days <= 0:
            raise ValueError("scale and days must be positive")
        self.scale = scale
        self.days = days
        self.rng = random.Random(seed)
        self.now = (now or timezone.now()).replace(microsecond=0)
        self.start = start or self.now - datetime.timedelta(days=days)
        # Orders created before this get no timeline (a thinned history for benchmarks); None: all do.
        self.timeline_from = None if timeline_days is None else self.now - datetime.timedelta(days=timeline_days)
        self.counts: dict[str, int] = Counter()
        self.zone = timezone.get_current_timezone()
        self.candidates: dict[tuple, list[Person]] = {}  # (team, trades, on duty) → the workers to pick from

    # --- reading the hospital -------------------------------------------------------------------

    def read_hospital(self) -> None:
        self.teams = {team.code: team for team in Team.objects.select_related("leader__user").order_by("code")}
        names = ("agent1", "agent2", "inspector", "director", "nurse")
        users = {user.username: user for user in get_user_model().objects.filter(username__in=names)}
        self.agents = [Actor.of_user(users[name]) for name in ("agent1", "agent2") if name in users] or [SYSTEM]
        self.inspector = Actor.of_user(users["inspector"]) if "inspector" in users else self.agents[0]
        self.director = Actor.of_user(users["director"]) if "director" in users else self.inspector
        self.nurse = users.get("nurse")
        nurse = Person.objects.filter(user=self.nurse).first() if self.nurse is not None else None
        self.nurse_department = nurse.department_id if nurse else None
        self.nurse_phone = nurse.phone if nurse else ""
        self.read_workers()
        self.read_places()
        self.read_requesters()

    def read_workers(self) -> None:
        trades = defaultdict(set)
        for person_id, code in Person.trades.through.objects.values_list("person_id", "trade__code"):
            trades[person_id].add(code)
        self.workers = defaultdict(list)  # team code → [(person, its trades)]
        self.on_duty = defaultdict(list)
        people = Person.objects.filter(team__isnull=False, is_active=True).select_related("team", "user")
        for person in people.order_by("employee_no"):
            if person.job_title == PROJECT_MANAGER:
                continue  # a contractor's project manager leads the team; the staff do the work
            self.workers[person.team.code].append((person, trades[person.pk]))
            if person.on_duty:
                self.on_duty[person.team.code].append((person, trades[person.pk]))

    def read_places(self) -> None:
        rows = list(
            Location.objects.filter(is_active=True)
            .order_by("code")
            .values_list("pk", "name", "kind", "parent_id", "department_id")
        )
        parent = {pk: parent_id for pk, _name, _kind, parent_id, _dept in rows}
        own_department = {pk: dept for pk, _name, _kind, _parent, dept in rows}
        self.location_names = {pk: name for pk, name, _kind, _parent, _dept in rows}
        self.department_of = {}
        for pk in parent:
            node, dept = pk, None
            while node is not None and dept is None:
                dept = own_department.get(node)
                node = parent.get(node)
            self.department_of[pk] = dept
        pools = defaultdict(list)
        for pk, name, kind, _parent, _dept in rows:
            for pool in _pools_of(name, kind):
                pools[pool].append(pk)
        self.pools = dict(pools)

    def read_requesters(self) -> None:
        self.phones = defaultdict(list)  # department id → [(number, label, person's name)]
        self.phone_at = {}  # location id → (number, label, person's name)
        entries = DirectoryEntry.objects.filter(is_active=True, department__isnull=False).select_related("person")
        for entry in entries.order_by("number"):
            item = (entry.number, entry.label, entry.person.name if entry.person_id else "")
            self.phones[entry.department_id].append(item)
            if entry.location_id:
                self.phone_at.setdefault(entry.location_id, item)
        self.staff = defaultdict(list)  # department id → people
        for person in Person.objects.filter(department__isnull=False, is_active=True).order_by("employee_no"):
            self.staff[person.department_id].append(person)
        self.departments = list(self.staff)
        self.anyone = [person for people in self.staff.values() for person in people]

    # --- the catalog ----------------------------------------------------------------------------

    def save_catalog(self) -> dict[str, ServiceCategory]:
        """The groups and categories of the issue; codes already there are kept as they are."""
        existing = {c.code: c for c in ServiceCategory.objects.filter(code__in=demo_category_codes())}
        groups = {}
        for n, group in enumerate(GROUPS, start=1):
            groups[group.code] = existing.get(group.code) or ServiceCategory(
                code=group.code,
                name=group.name,
                name_en=group.name_en,
                icon=group.icon,
                default_team=self.teams.get(group.team) if group.team else None,
                followup_sample_percent=group.sample,
                auto_dispatch=group.auto_dispatch,
                sort_order=n * 100,
            )
        new_groups = [c for c in groups.values() if c.pk is None]
        _bulk_categories(new_groups)
        categories, position = {}, defaultdict(int)
        for kind in KINDS:
            position[kind.group] += 1
            if kind.code in existing:
                categories[kind.code] = existing[kind.code]
                continue
            group = GROUPS_BY_CODE.get(kind.group)
            parent = groups[kind.group] if group else None
            sort_order = parent.sort_order + position[kind.group] if parent else 500 + position[None] * 10
            categories[kind.code] = ServiceCategory(
                code=kind.code,
                name=kind.name,
                name_en=kind.name_en,
                parent=parent,
                icon=kind.icon,
                default_team=self.teams.get(kind.team) if kind.team else None,
                default_priority=kind.default_priority,
                weight=Decimal(kind.weight),
                hold_excluded=True,
                auto_close_hours=None if kind.is_complaint else 72,
                auto_dispatch=kind.auto_dispatch
                if kind.auto_dispatch is not None
                else bool(group and group.auto_dispatch),
                is_complaint=kind.is_complaint,
                followup_sample_percent=kind.sample if kind.sample is not None else (group.sample if group else 100),
                requires_location=kind.requires_location,
                sort_order=sort_order,
            )
        new = [c for c in categories.values() if c.pk is None]
        _bulk_categories(new)
        targets = [
            SlaTarget(
                category=categories[kind.code], priority=priority, **dict(zip(TARGET_FIELDS, minutes, strict=True))
            )
            for kind in KINDS
            if categories[kind.code] in new
            for priority, minutes in kind.sla.items()
        ]
        SlaTarget.objects.bulk_create(targets)
        self.counts["service categories"] = len(new_groups) + len(new)
        self.counts["SLA targets"] = len(targets)
        # Deadlines read the targets through ServiceCategory.targets(): prefetched, no query per order.
        fresh = ServiceCategory.objects.filter(pk__in=[c.pk for c in categories.values()])
        by_pk = {c.pk: c for c in fresh.select_related("default_team").prefetch_related("sla_targets")}
        for category in by_pk.values():
            # The catalog does not change while loading: each answer is looked up once.
            category.targets = functools.cache(category.targets)
        return {code: by_pk[c.pk] for code, c in categories.items()}

    # --- orders ---------------------------------------------------------------------------------

    def hours(self) -> list[datetime.datetime]:
        """The local hours of the history, from the one `start` falls in to the one of `now`."""
        hours = []
        hour = timezone.localtime(self.start).replace(minute=0, second=0)
        while hour <= self.now:
            hours.append(hour)
            hour = timezone.localtime(hour + datetime.timedelta(hours=1))
        return hours

    def weeks(self) -> list[list[datetime.datetime]]:
        """The hours in runs of CHUNK_HOURS, the last run at least LAST_CHUNK_HOURS long: the live
        queue is made of the last day's orders, which must still be in memory."""
        hours = self.hours()
        chunks = [hours[i : i + CHUNK_HOURS] for i in range(0, len(hours), CHUNK_HOURS)]
        if len(chunks) > 1 and len(chunks[-1]) < LAST_CHUNK_HOURS:
            chunks[-2].extend(chunks.pop())
        return chunks

    def arrival_times(self, hours: list[datetime.datetime]) -> list[datetime.datetime]:
        """When the orders came in: each day's volume spread over the hours of the day."""
        per_day = ORDERS_PER_DAY * self.scale
        total_weight = sum(HOUR_WEIGHTS)
        # Weekends are quieter; weekdays busier, so that a week averages ORDERS_PER_DAY.
        weekday = 7 / (5 + 2 * WEEKEND_FACTOR)
        times = []
        for hour in hours:
            factor = weekday * (WEEKEND_FACTOR if hour.weekday() >= 5 else 1.0)
            expected = per_day * HOUR_WEIGHTS[hour.hour] / total_weight * factor
            count = max(0, round(self.rng.gauss(expected, math.sqrt(expected) * 0.8)))
            for _i in range(count):
                moment = hour + datetime.timedelta(seconds=self.rng.randrange(3600))
                if self.start <= moment <= self.now:
                    times.append(moment)
        times.sort()
        return times

    def place(self, kind: Kind) -> int | None:
        pools, cum_weights = PLACE_CHOICES[kind.code]
        pool = self.rng.choices(pools, cum_weights=cum_weights)[0]
        if not pool:
            return None
        ids = self.pools.get(pool) or self.pools.get("rooms") or []
        return self.rng.choice(ids) if ids else None

    def requester(self, plan: Plan) -> None:
        """Who asked: the caller's directory entry, a colleague of the department, the nurse's
        login on the portal, a visitor scanning a QR code, or the nursing system through the API."""
        rng, dept = self.rng, plan.department
        if plan.channel == Channel.QR:
            plan.requester_name = rng.choice(("", "", "患者家属", "病人家属", "访客"))
            plan.requester_phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            return
        phone = self.phone_at.get(plan.location) or (rng.choice(self.phones[dept]) if self.phones.get(dept) else None)
        if plan.channel == Channel.API:
            plan.requester_name, plan.requester_phone = API_SYSTEM, phone[0] if phone else ""
            return
        if plan.channel in (Channel.WEB, Channel.MOBILE) or phone is None:
            if self.nurse is not None and dept == self.nurse_department and rng.random() < 0.7:
                plan.requester_user = self.nurse
                plan.requester_name = self.nurse.get_full_name() or self.nurse.username
                plan.requester_phone = self.nurse_phone
                return
            person = rng.choice(self.staff.get(dept) or self.anyone)
            plan.requester_name, plan.requester_phone = person.name, person.phone
            return
        # By phone: the number the call came from, as the phone directory knows it.
        number, label, person_name = phone
        staff = self.staff.get(dept)
        if person_name:
            plan.requester_name = person_name
        elif staff and rng.random() < 0.5:
            plan.requester_name = rng.choice(staff).name
        else:
            plan.requester_name = label
        plan.requester_phone = number

    def worker(self, plan: Plan, team_code: str | None) -> Person | None:
        """A member of the team, of the category's trade where possible; on duty for recent orders."""
        if team_code is None:
            return None
        recent = self.now - plan.created < datetime.timedelta(hours=ON_DUTY_HOURS)
        key = (team_code, plan.kind.trades, recent)
        if key not in self.candidates:
            people = (self.on_duty if recent else self.workers).get(team_code) or self.workers.get(team_code) or []
            skilled = [person for person, trades in people if trades & set(plan.kind.trades)]
            self.candidates[key] = skilled or [person for person, _trades in people]
        candidates = self.candidates[key]
        return self.rng.choice(candidates) if candidates else None

    def plan_order(self, created: datetime.datetime) -> Plan:
        rng = self.rng
        kind = rng.choices(KINDS, cum_weights=KIND_CUM_WEIGHTS)[0]
        plan = Plan(kind, created)
        category = self.categories[kind.code]
        roll = rng.random()
        if roll < kind.urgent_share:
            plan.priority = Priority.URGENT
        elif roll < kind.urgent_share + kind.high_share:
            plan.priority = Priority.HIGH
        elif roll > 0.92 and kind.default_priority == Priority.NORMAL:
            plan.priority = Priority.LOW
        else:
            plan.priority = kind.default_priority
        plan.channel = rng.choices(CHANNELS, cum_weights=CHANNEL_CUM_WEIGHTS)[0]
        if kind.is_complaint and plan.channel == Channel.API:
            plan.channel = Channel.WEB
        plan.location = self.place(kind)
        if plan.location is not None:
            plan.department = self.department_of.get(plan.location)
        elif self.departments:
            plan.department = rng.choice(self.departments)  # the caller's
        self.requester(plan)
        if kind.is_complaint:
            plan.description, plan.complaint_team, plan.answer = rng.choice(COMPLAINTS)
        else:
            problem = rng.choice(kind.problems)
            name = self.location_names.get(plan.location, "")
            plan.description = f"{name}{problem}" if name and rng.random() < 0.6 else problem
        agent = rng.choice(self.agents)
        if plan.channel == Channel.PHONE:
            plan.creator = plan.owner = plan.accept_by = agent
            plan.accepted_at = created
        else:
            plan.creator = Actor(plan.requester_user, plan.requester_name or _("anonymous requester"))
        self.plan_work(plan, category, agent)
        self.plan_follow_up(plan, category)
        return plan

    def plan_work(self, plan: Plan, category: ServiceCategory, agent: Actor) -> None:
        rng, kind, created = self.rng, plan.kind, plan.created
        # Everyone hurries in proportion to the targets: an urgent order moves several times faster.
        response, arrival, completion = category.targets(plan.priority)
        if category.auto_dispatch:
            plan.dispatched_at = created + _minutes(_lognormal(rng, min(1.2, 0.3 * response), 0.5))
            plan.dispatch_by = SYSTEM
        else:
            if plan.accepted_at is None:
                plan.accepted_at = created + _minutes(_lognormal(rng, 0.2 * response, 0.5))
                plan.accept_by = plan.owner = agent
            plan.dispatched_at = plan.accepted_at + _minutes(_lognormal(rng, 0.36 * response, 0.5))
            plan.dispatch_by = agent
        if kind.is_complaint:
            # The desk hands a complaint to the leader of the team it is about.
            plan.team = self.teams.get(plan.complaint_team)
            plan.assignee = plan.team.leader if plan.team is not None else None
        else:
            plan.team = category.default_team
            plan.assignee = self.worker(plan, kind.team)
            leader = plan.team.leader if plan.team is not None else None
            if not category.auto_dispatch and leader is not None and rng.random() < 0.3:
                plan.dispatch_by = Actor.of_person(leader)
        travel = _lognormal(rng, min(kind.travel, 0.35 * (arrival - response)), 0.5)
        plan.arrived_at = plan.dispatched_at + _minutes(travel)
        work = _lognormal(rng, min(kind.work, 0.4 * (completion - arrival)), 0.5)
        resumed = plan.arrived_at
        if rng.random() < kind.hold_share:
            reason = rng.choices(HOLD_REASONS, weights=(80, 10, 10))[0]
            start = plan.arrived_at + _minutes(rng.uniform(5, 25))
            plan.hold = Hold(
                reason, rng.choice(HOLD_NOTES[reason]), start, start + _minutes(min(_lognormal(rng, 480, 0.9), 4320))
            )
            resumed = plan.hold.end
            work *= 0.5
        done = resumed + _minutes(work)
        plan.completed_at = done
        plan.result = rng.choice(kind.results) if kind.results else COMPLAINT_RESULT
        labour = (done - plan.arrived_at).total_seconds() / 60 - (plan.hold.minutes if plan.hold else 0)
        share = rng.uniform(0.7, 1.0)
        # A complaint takes days to settle but an hour or so of the leader's own time (talks,
        # calls, the written answer): 20–90 minutes, from the same draw so the rest stays as it was.
        plan.labor = round(20 + (share - 0.7) / 0.3 * 70) if kind.is_complaint else max(5, round(labour * share))
        plan.difficulty = rng.choices(DIFFICULTIES, cum_weights=DIFFICULTY_CUM_WEIGHTS)[0]
        # Rework: about 2 % come back within a day; the same worker goes again.
        if not kind.is_complaint and rng.random() < 0.02:
            back = done + _minutes(rng.uniform(60, 1440))
            arrived = back + _minutes(_lognormal(rng, kind.travel + 10, 0.5))
            again = arrived + _minutes(_lognormal(rng, kind.work * 0.8, 0.5))
            plan.rework = Rework(back, rng.choice(REOPEN_REASONS), rng.choice(self.agents), done, arrived, again)
            plan.completed_at = again

    def plan_follow_up(self, plan: Plan, category: ServiceCategory) -> None:
        """The requester confirms in the portal or the desk calls back (on a sample only for the
        high-volume categories); the inspector assesses some, the director answers every
        complaint; the rest close by policy after the category's hours."""
        rng, kind, done = self.rng, plan.kind, plan.completed_at
        sampled = category.followup_sample_percent < 100
        if kind.is_complaint or rng.random() < (0.8 if sampled else 0.97):
            by_requester = not kind.is_complaint and (
                (plan.channel in PORTAL_CHANNELS and rng.random() < 0.7)
                or (plan.channel == Channel.PHONE and rng.random() < 0.2)
            )
            delay = _lognormal(rng, 120, 0.8) if by_requester else _lognormal(rng, 900, 0.6)
            plan.followed_up_at = done + _minutes(min(delay, 3600))
            plan.rating = self.rating(plan, category)
            plan.rating_comment = rng.choice(RATING_COMMENTS[plan.rating])
            if by_requester:
                plan.follow_up_method = FollowUpMethod.REQUESTER
                plan.follow_up_by = Actor(plan.requester_user, plan.requester_name or _("anonymous requester"))
            else:
                plan.follow_up_method = FollowUpMethod.PHONE
                plan.follow_up_by = rng.choice(self.agents)
            if kind.is_complaint or rng.random() < 0.3:
                late = plan.rating <= 3
                plan.closed_at = plan.followed_up_at + _minutes(rng.uniform(600, 4000))
                plan.closed_by = self.director if kind.is_complaint else self.inspector
                plan.score = rng.randint(60, 80) if late else rng.randint(85, 100)
                plan.remarks = rng.choice(ASSESSMENT_REMARKS["late" if late else "good"])
        elif category.auto_close_hours is not None:
            closing = done + datetime.timedelta(hours=category.auto_close_hours)
            plan.closed_at = closing + datetime.timedelta(seconds=rng.randrange(AUTO_CLOSE_SECONDS))

    def rating(self, plan: Plan, category: ServiceCategory) -> int:
        arrival = category.targets(plan.priority)[1]
        late = plan.arrived_at - plan.created > datetime.timedelta(minutes=arrival)
        weights = LATE_RATING_CUM_WEIGHTS if late or plan.rework else RATING_CUM_WEIGHTS
        return self.rng.choices(RATINGS, cum_weights=weights)[0]

    def duplicates_and_withdrawals(self, plans: list[Plan]) -> list[Plan]:
        """About 1 % cancelled: a second call about the same fault, merged into the first by the
        desk, and requests withdrawn before anyone went."""
        rng = self.rng
        duplicates = []
        for plan in plans:
            if plan.location is not None and plan.kind.code.startswith(DUPLICATED) and rng.random() < 0.009:
                duplicate = self.duplicate(plan)
                if duplicate is not None:
                    duplicates.append(duplicate)
            elif rng.random() < 0.006 and not plan.kind.is_complaint:
                self.withdraw(plan)
        return sorted(plans + duplicates, key=lambda plan: plan.created)

    def duplicate(self, original: Plan) -> Plan | None:
        rng = self.rng
        created = original.created + _minutes(rng.uniform(3, 20))
        if created > self.now:
            return None
        plan = Plan(original.kind, created, channel=Channel.PHONE, priority=original.priority)
        plan.location, plan.department = original.location, original.department
        self.requester(plan)
        plan.description = original.description
        agent = rng.choice(self.agents)
        plan.creator = plan.owner = plan.accept_by = agent
        plan.accepted_at = created
        plan.team = original.team
        plan.cancelled_at = created + _minutes(rng.uniform(1, 5))
        plan.cancel_reason, plan.cancel_by = DUPLICATE_REASON, agent
        plan.duplicate_of = original
        original.merged.append((plan, plan.cancelled_at, agent))
        return plan

    def withdraw(self, plan: Plan) -> None:
        rng = self.rng
        if plan.channel in PORTAL_CHANNELS and plan.accepted_at is not None and rng.random() < 0.5:
            # The requester withdraws it before the desk takes it.
            at = plan.created + (min(plan.accepted_at, plan.dispatched_at) - plan.created) * rng.uniform(0.3, 0.9)
            plan.cancel_reason, plan.cancel_by = rng.choice(CANCEL_REASONS[:2]), plan.creator
        else:
            until = plan.arrived_at or plan.created + _minutes(10)
            at = plan.created + (until - plan.created) * rng.uniform(0.2, 0.9)
            plan.cancel_reason = rng.choice(CANCEL_REASONS)
            plan.cancel_by = plan.owner or rng.choice(self.agents)
        plan.cut_after(at)
        plan.cancelled_at = at

    # --- the live queue -------------------------------------------------------------------------

    def live_queue(self, plans: list[Plan]) -> None:
        """Open orders of the last hours in every open status, for the desk and the boards: as
        many as LIVE_QUEUE asks, the newest orders that were already done rewound to an earlier
        stage. A quiet night has few recent orders: then older ones are taken too."""
        rng = self.rng
        window = self.now - datetime.timedelta(hours=LIVE_HOURS)
        counts = Counter(plan.status for plan in plans if plan.created >= window)
        done = [
            plan
            for plan in plans
            if plan.created >= self.now - datetime.timedelta(days=1)
            and plan.status in (Status.COMPLETED, Status.FOLLOWED_UP, Status.CLOSED)
            and not plan.merged
            and plan.rework is None
            and not plan.kind.is_complaint
        ]
        # Newest first, a little shuffled so that the statuses mix.
        done.sort(key=lambda plan: plan.created - datetime.timedelta(minutes=rng.uniform(0, 20)), reverse=True)
        # The pickiest first: holds are for repairs, "new" for portal orders the system does not dispatch.
        for status in (Status.ON_HOLD, Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.DISPATCHED):
            missing = max(1, round(LIVE_QUEUE[status] * self.scale)) - counts[status]
            for plan in list(done):
                if missing <= 0:
                    break
                category = self.categories[plan.kind.code]
                if status in (Status.NEW, Status.ACCEPTED) and category.auto_dispatch:
                    continue
                if status == Status.NEW and plan.channel not in PORTAL_CHANNELS:
                    continue
                if status == Status.ON_HOLD and not plan.kind.code.startswith("WX"):
                    continue
                self.rewind(plan, status)
                done.remove(plan)
                missing -= 1

    def rewind(self, plan: Plan, status: str) -> None:
        """Rewrite a recent order's stages so that it is in `status` now."""
        rng, now = self.rng, self.now

        def between(start: datetime.datetime, low: float, high: float) -> datetime.datetime:
            return start + (now - start) * rng.uniform(low, high)

        plan.hold = plan.completed_at = plan.arrived_at = None
        plan.cut_after(now)
        if status == Status.NEW:
            plan.cut_after(plan.created)
            return
        if plan.accepted_at is None and plan.dispatched_at is None:
            # (One the system dispatched at once was never accepted: it stays so.)
            plan.accepted_at = between(plan.created, 0.05, 0.3)
            plan.accept_by = plan.owner = rng.choice(self.agents)
        if status == Status.ACCEPTED:
            plan.cut_after(plan.accepted_at)
            return
        plan.assignee = self.worker(plan, plan.kind.team)
        if status == Status.DISPATCHED:
            return
        plan.arrived_at = between(plan.dispatched_at, 0.1, 0.5)
        if status == Status.ON_HOLD:
            reason = rng.choices(HOLD_REASONS, weights=(70, 15, 15))[0]
            plan.hold = Hold(reason, rng.choice(HOLD_NOTES[reason]), between(plan.arrived_at, 0.2, 0.7), None)

    # --- the timeline ---------------------------------------------------------------------------

    def timeline(self, plan: Plan, order: "OrderRow") -> list[list]:
        """The events the services would have written, in order: [time, kind, actor, from, to,
        changes, note]."""
        events = [[plan.created, EventKind.CREATED, plan.creator, "", Status.NEW, {}, plan.description]]
        status = Status.NEW

        def move(at, kind, actor, to, changes=None, note=""):
            nonlocal status
            events.append([at, kind, actor, status, to, changes or {}, note])
            status = to

        if plan.accepted_at is not None and plan.accept_by is not None:
            move(plan.accepted_at, EventKind.ACCEPTED, plan.accept_by, Status.ACCEPTED)
        if plan.dispatched_at is not None:
            changes = {}
            if plan.assignee is not None:
                changes["assignee"] = [None, str(plan.assignee)]
            if order.team_id != order.category.default_team_id:
                default = order.category.default_team
                changes["team"] = [str(default) if default else None, str(order.team) if order.team else None]
            move(plan.dispatched_at, EventKind.DISPATCHED, plan.dispatch_by, Status.DISPATCHED, changes)
        if plan.cancelled_at is not None:
            changes = {"duplicate_of": [None, ""]} if plan.duplicate_of is not None else None
            move(plan.cancelled_at, EventKind.CANCELLED, plan.cancel_by, Status.CANCELLED, changes, plan.cancel_reason)
            return self.with_merges(plan, events)
        worker = Actor.of_person(plan.assignee) if plan.assignee is not None else SYSTEM
        if plan.arrived_at is not None:
            move(plan.arrived_at, EventKind.STARTED, worker, Status.IN_PROGRESS)
        hold = plan.hold
        if hold is not None:
            label = str(HoldReason(hold.reason).label)
            move(hold.start, EventKind.HELD, worker, Status.ON_HOLD, {"hold_reason": [None, label]}, hold.note)
            if hold.end is not None:
                move(hold.end, EventKind.RESUMED, worker, Status.IN_PROGRESS, {"held_minutes": [0, hold.minutes]})
        completion = {"labor_minutes": [None, plan.labor], "difficulty": [None, str(plan.difficulty)]}
        rework = plan.rework
        first_done = rework.first_completed if rework is not None else plan.completed_at
        if first_done is not None:
            move(first_done, EventKind.COMPLETED, worker, Status.COMPLETED, completion, plan.result)
        if rework is not None:
            move(rework.at, EventKind.REOPENED, rework.by, Status.DISPATCHED, {"rework_count": [0, 1]}, rework.reason)
            if rework.arrived is not None:
                move(rework.arrived, EventKind.STARTED, worker, Status.IN_PROGRESS)
            if rework.completed is not None:
                move(rework.completed, EventKind.COMPLETED, worker, Status.COMPLETED, completion, plan.result)
        if plan.followed_up_at is not None:
            rating = {"rating": [None, plan.rating]}
            move(
                plan.followed_up_at,
                EventKind.FOLLOWED_UP,
                plan.follow_up_by,
                Status.FOLLOWED_UP,
                rating,
                plan.rating_comment,
            )
        if plan.closed_at is not None:
            if plan.closed_by is None:
                hours = order.category.auto_close_hours
                note = _("No rating within %(hours)s hours: counted as satisfied.") % {"hours": hours}
                move(plan.closed_at, EventKind.CLOSED, SYSTEM, Status.CLOSED, None, note)
            else:
                move(
                    plan.closed_at,
                    EventKind.CLOSED,
                    plan.closed_by,
                    Status.CLOSED,
                    {"score": [None, plan.score]},
                    plan.remarks,
                )
        return self.with_merges(plan, events)

    def with_merges(self, plan: Plan, events: list[list]) -> list[list]:
        for duplicate, at, agent in plan.merged:
            # The note names the duplicate's number, known once it is saved.
            events.append([at, EventKind.MERGED, agent, "", "", {}, duplicate])
        return events

    def sla_events(self, plan: Plan, order: "OrderRow") -> list[list]:
        """The warnings and breaches the sweep (every minute) would have raised while the order
        was open, each level once; sets the order's sla_level and breached."""
        created, now = plan.created, self.now
        held = datetime.timedelta(minutes=order.held_minutes if order.category.hold_excluded else 0)
        # The deadlines before any hold was over; resuming pushed them back by the time on hold.
        response_due, arrival_due, completion_due = (
            order.response_due - held,
            order.arrival_due - held,
            order.completion_due - held,
        )
        rework = plan.rework
        open_until = rework.first_completed if rework is not None else (plan.completed_at or plan.cancelled_at or now)
        open_until = min(open_until, now)
        dispatched = min(plan.dispatched_at or open_until, open_until)
        arrived = min(plan.arrived_at or open_until, open_until)
        stages = [("response", created, dispatched, response_due), ("arrival", dispatched, arrived, arrival_due)]
        hold = plan.hold
        if hold is not None:
            stages.append(("completion", arrived, min(hold.start, open_until), completion_due))
            if hold.end is not None:
                stages.append(("completion", min(hold.end, open_until), open_until, completion_due + held))
        else:
            stages.append(("completion", arrived, open_until, completion_due))
        if rework is not None:
            stages.append(("completion", rework.at, min(rework.completed or now, now), completion_due + held))
        events, level = [], 0
        for target, start, end, due in stages:
            if end <= start:
                continue
            warn_at = created + (due - created) * 0.8
            for threshold in (warn_at, due):
                # The first sweep after the threshold sees the share of the target used by then.
                seen = max(start, threshold) + datetime.timedelta(seconds=self.rng.randrange(1, SWEEP_SECONDS))
                new_level = 2 if seen >= due else 1
                if level >= new_level or seen >= end:
                    continue
                level = new_level
                kind = EventKind.SLA_BREACH if new_level == 2 else EventKind.SLA_WARNING
                events.append([seen, kind, SYSTEM, "", "", {"target": [None, target]}, self.sla_note(target, due)])
        order.sla_level = level
        order.breached = level >= 2
        return events

    def sla_note(self, target: str, due: datetime.datetime) -> str:
        labels = {"response": _("response"), "arrival": _("arrival"), "completion": _("completion")}
        when = due.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
        return _("%(target)s due %(due)s") % {"target": labels[target], "due": when}

    # --- writing --------------------------------------------------------------------------------

    def build_order(self, plan: Plan, pk: int) -> "OrderRow":
        category = self.categories[plan.kind.code]
        team = category.default_team
        order = OrderRow(
            id=pk,
            # As create_work_order numbers them.
            number=f"WO{plan.created.astimezone(self.zone):%y%m%d}-{pk:05d}",
            category=category,
            category_id=category.pk,
            priority=plan.priority,
            status=plan.status,
            channel=plan.channel,
            description=plan.description,
            location_id=plan.location,
            department_id=plan.department,
            requester_user_id=plan.requester_user.pk if plan.requester_user is not None else None,
            requester_name=plan.requester_name[:50],
            requester_phone=plan.requester_phone,
            owner_id=plan.owner.user.pk if plan.owner is not None and plan.owner.user is not None else None,
            team=team,
            team_id=team.pk if team is not None else None,
            assignee_id=plan.assignee.pk if plan.assignee is not None else None,
            created=plan.created,
            accepted_at=plan.accepted_at or plan.dispatched_at,
            dispatched_at=plan.dispatched_at,
            arrived_at=plan.arrived_at,
            completed_at=plan.completed_at,
            followed_up_at=plan.followed_up_at,
            closed_at=plan.closed_at,
            cancelled_at=plan.cancelled_at,
            cancel_reason=plan.cancel_reason,
        )
        if plan.duplicate_of is not None:
            order.duplicate_of_id = plan.duplicate_of.order.pk
        if plan.dispatched_at is not None:
            team = plan.assignee.team if plan.assignee is not None and plan.assignee.team_id else plan.team
            order.team, order.team_id = team, team.pk if team is not None else None
        hold = plan.hold
        if hold is not None:
            order.hold_note = hold.note
            order.held_for_parts = hold.reason == HoldReason.PARTS
            if hold.end is None:
                order.hold_reason, order.hold_started_at = hold.reason, hold.start
                order.status_before_hold = Status.IN_PROGRESS
            else:
                order.held_minutes = hold.minutes
        services.compute_deadlines(order)
        if plan.completed_at is not None or plan.rework is not None:
            order.result_note, order.labor_minutes, order.difficulty = plan.result, plan.labor, plan.difficulty
        if plan.rework is not None:
            order.rework_count = 1
        if plan.followed_up_at is not None:
            order.rating, order.rating_comment = plan.rating, plan.rating_comment
            order.follow_up_method = plan.follow_up_method
        if plan.closed_at is not None:
            if plan.closed_by is None:
                order.rating, order.follow_up_method, order.followed_up_at = 5, FollowUpMethod.AUTO, plan.closed_at
            else:
                order.score, order.remarks = plan.score, plan.remarks
                order.answer = plan.answer if plan.kind.is_complaint else ""
        plan.events = self.timeline(plan, order) + self.sla_events(plan, order)
        plan.events.sort(key=lambda event: event[0])
        # Every move but the intake bumps the version; the SLA sweep does not.
        moves = [e for e in plan.events if e[4] and e[1] != EventKind.CREATED]
        taken_by_phone = plan.channel == Channel.PHONE and plan.accept_by is not None
        order.version = 1 + len(moves) - (1 if taken_by_phone else 0)
        order.last_updated = max([plan.created, *(e[0] for e in moves)])
        return order

    def save(self) -> dict[str, int]:
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            self.read_hospital()
            self.categories = self.save_catalog()
            self.next_id = (WorkOrder.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
            weeks = self.weeks()
            with _bulk_loading():
                for number, hours in enumerate(weeks, start=1):
                    plans = [self.plan_order(moment) for moment in self.arrival_times(hours)]
                    plans = self.duplicates_and_withdrawals(plans)
                    for plan in plans:
                        plan.cut_after(self.now)
                    if number == len(weeks):
                        self.live_queue(plans)
                    self.write(plans)
                    del plans
                    gc.collect()  # a week's plans hold cycles (duplicates and merges)
            _reset_sequences(WorkOrder)
            if self.counts["work orders"] >= ANALYZE_AFTER:
                _analyze(WorkOrder, WorkOrderEvent)
            services.orders_written_in_bulk.send(sender=WorkOrder)
        return {name: self.counts[name] for name in COUNTED}

    def write(self, plans: list[Plan]) -> None:
        """INSERTs one run of orders and their timelines; the ids are given here, so numbers and
        duplicate links are written at once."""
        orders = []
        for plan in plans:
            plan.order = self.build_order(plan, self.next_id)
            self.next_id += 1
            orders.append(plan.order)
        fields = WorkOrder._meta.concrete_fields
        _insert_rows(WorkOrder, fields, ([getattr(order, f.attname) for f in fields] for order in orders))
        events = 0

        def event_rows():
            nonlocal events
            system = _("system")
            for plan in plans:
                if self.timeline_from is not None and plan.created < self.timeline_from:
                    continue
                order = plan.order
                for at, kind, actor, frm, to, changes, note in plan.events:
                    if kind == EventKind.MERGED:
                        note = _("%(number)s merged into this order.") % {"number": note.order.number}
                    elif kind == EventKind.CANCELLED and plan.duplicate_of is not None:
                        changes = {"duplicate_of": [None, plan.duplicate_of.order.number]}
                    user = actor.user if actor is not None else None
                    name = ((actor.name if actor is not None else "") or system)[:150]
                    events += 1
                    yield (order.pk, at, str(kind), user.pk if user else None, name, str(frm), str(to), changes, note)

        _insert_rows(WorkOrderEvent, EVENT_FIELDS, event_rows())
        self.counts["work orders"] += len(orders)
        self.counts["open work orders"] += sum(order.status in OPEN_STATUSES for order in orders)
        self.counts["timeline events"] += events


class OrderRow:
    """A work order's columns by attname (and its category and team), built without the model's
    __init__, which costs more than planning the order; written with _insert_rows."""

    def __init__(self, **values):
        self.__dict__.update(_row_defaults())
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id


@functools.cache
def _row_defaults() -> dict:
    fields = WorkOrder._meta.concrete_fields
    # Computed once for every row: a default made by a function (a token, a time) would be shared.
    assert not any(field.has_default() and callable(field.default) for field in fields)
    return {field.attname: field.get_default() for field in fields}


def _pools_of(name: str, kind: str) -> list[str]:
    """The places a location is good for: a bed, a ward room, a lift lobby, a nurses' station…"""
    if kind == LocationKind.BED:
        return ["bed"]
    if kind == LocationKind.AREA:
        return ["public"] + (["lift_hall"] if name == "电梯厅" else []) + (["gas"] if name in GAS_PLACES else [])
    if kind != LocationKind.ROOM:
        return []
    pools = ["rooms"]
    tests = (
        ("ward_room", name.endswith("病房")),
        ("toilet", "卫生间" in name),
        ("wet_room", name in ("开水间", "处置室", "污物间", "配餐间")),
        ("ward_support", name in ("治疗室", "处置室", "换药室", "仪器室", "配餐间", "库房", "被服间", "护士站")),
        ("nurse_station", name in ("护士站", "护士分诊台", "急诊护士站", "手术室护士站", "急诊分诊台", "抢救室")),
        ("office", "办公室" in name),
        ("clinic", "诊室" in name),
        ("linen", name == "被服间"),
        ("gas", name in GAS_PLACES),
        ("plant", any(word in name for word in ("机房", "配电", "泵房", "水箱", "锅炉", "冷冻"))),
    )
    return pools + [pool for pool, matches in tests if matches]


PROJECT_MANAGER = "项目经理"
GAS_PLACES = ("液氧站", "医用气体汇流排间", "负压吸引机房", "ICU监护大厅")
GROUPS_BY_CODE = {group.code: group for group in GROUPS}
# Cumulative weights: random.choices gives the same picks as with the weights, without adding them up each time.
KIND_CUM_WEIGHTS = list(itertools.accumulate(kind.share for kind in KINDS))
CHANNEL_CUM_WEIGHTS = list(itertools.accumulate(CHANNEL_WEIGHTS))
DIFFICULTY_CUM_WEIGHTS = list(itertools.accumulate((80, 10, 5, 5)))
RATING_CUM_WEIGHTS = list(itertools.accumulate(RATING_WEIGHTS))
LATE_RATING_CUM_WEIGHTS = list(itertools.accumulate((30, 35, 20, 10, 5)))
PLACE_CHOICES = {
    kind.code: ([name for name, _w in kind.places], list(itertools.accumulate(w for _n, w in kind.places)))
    for kind in KINDS
}
TARGET_FIELDS = ("response_minutes", "arrival_minutes", "completion_minutes")
EVENT_FIELDS = ("order", "time", "kind", "actor", "actor_name", "from_status", "to_status", "changes", "note")
HOLD_REASONS = (HoldReason.PARTS, HoldReason.CONTRACTOR, HoldReason.DEPARTMENT)
DIFFICULTIES = (Decimal("1"), Decimal("1.2"), Decimal("1.5"), Decimal("0.8"))
COMPLAINT_RESULT = "已调查核实，已与相关班组沟通整改"
# A second call about the same fault happens for repairs, cleaning and medical gas.
DUPLICATED = ("WX-", "BJ-LS", "YQ")


def _bulk_categories(categories: list[ServiceCategory]) -> None:
    for category in categories:
        category.search_text = category.build_search_text()
    ServiceCategory.objects.bulk_create(categories)


def _insert_rows(model, fields, rows, batch_size: int = 5000) -> None:
    """INSERT rows (values in the order of `fields`, names or Field objects), each value converted
    for its column as the ORM would: ten times faster than bulk_create, which compiles every value
    of every row into its SQL. COPY on PostgreSQL, executemany elsewhere. Nothing derived is filled
    in (no auto_now)."""
    fields = [model._meta.get_field(f) if isinstance(f, str) else f for f in fields]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    convert = [_converter(field) for field in fields]
    prepared = ([value if c is None else c(value) for c, value in zip(convert, row, strict=True)] for row in rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            return
        sql = "INSERT INTO {} ({}) VALUES ({})".format(table, columns, ", ".join(["%s"] * len(fields)))
        while batch := list(itertools.islice(prepared, batch_size)):
            cursor.executemany(sql, batch)


def _converter(field):
    """How a Python value becomes the column's (None: as it is). The common types are done here
    directly, each exactly as its field's get_db_prep_save would, at a fraction of the cost."""
    if field.is_relation or isinstance(field, (models.IntegerField, models.BooleanField, models.AutoField)):
        return None
    if isinstance(field, (models.CharField, models.TextField)):
        return lambda value: value if value is None or type(value) is str else str(value)
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            # Stored as naive UTC text, as the SQLite backend's adapt_datetimefield_value does.
            return lambda value: None if value is None else str(value.astimezone(datetime.UTC).replace(tzinfo=None))
        if connection.vendor == "postgresql":
            return None
    if isinstance(field, models.JSONField) and connection.vendor in ("sqlite", "postgresql"):
        return lambda value: "{}" if value == {} else json.dumps(value, cls=field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)


@contextlib.contextmanager
def _bulk_loading():
    """No automatic garbage collection while loading (the collector's passes over a week of plans
    took a third of the time; save() collects after each week), and on SQLite more than its
    default 2 MB of pages, which makes updating the indexes of a big table far faster."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        if connection.vendor != "sqlite":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            (before,) = cursor.fetchone()
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
            try:
                yield
            finally:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")
    finally:
        if collecting:
            gc.enable()


def _reset_sequences(*models_) -> None:
    """The ids were given explicitly: PostgreSQL's sequences must move past them."""
    for sql in connection.ops.sequence_reset_sql(no_style(), models_):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _analyze(*models_) -> None:
    """Fresh planner statistics after a big load, so that the KPIs' queries pick their indexes."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- loading and deleting ------------------------------------------------------------------------


def demo_now(today: datetime.date | None) -> datetime.datetime:
    """The moment the history ends: now, or noon of another given day (for repeatable data)."""
    if today is None or today == timezone.localdate():
        return timezone.now().replace(second=0, microsecond=0)
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12, 0)))


def load_demo(
    *,
    scale: float = 1,
    days: float = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    now: datetime.datetime | None = None,
    today: datetime.date | None = None,
    orders: int | None = None,
    timeline_days: float | None = None,
) -> dict[str, int]:
    """Loads the service desk's demo onto the demo hospital; returns the rows created per model.
    `orders` (about as many, instead of `days`) sets the history's length from the volume;
    `timeline_days` writes timelines only for the orders of the last days (benchmarks: the KPIs
    read the orders, and a million orders have six million events). Raises RuntimeError when the
    demo hospital is not loaded."""
    if not hospital_loaded():
        raise RuntimeError("the demo hospital is not loaded")
    if orders is not None:
        days = orders / (ORDERS_PER_DAY * scale)
    demo = ServiceDeskDemo(scale=scale, days=days, seed=seed, now=now or demo_now(today), timeline_days=timeline_days)
    return demo.save()


def demo_orders_since(moment: datetime.datetime | None = None) -> list[int]:
    """Ids of the orders the demo wrote (created at or after `moment`): the demo's times are whole
    seconds, while an order people make is stamped to the microsecond by the services (auto_now_add),
    so what people did since is told apart without any bookkeeping."""
    orders = WorkOrder.objects.filter(category__code__in=demo_category_codes())
    if moment is not None:
        orders = orders.filter(created__gte=moment)
    return [pk for pk, created in orders.values_list("pk", "created").iterator() if not created.microsecond]


def demo_history_end() -> datetime.datetime | None:
    """When the demo's history last ended: the newest order the demo wrote (None: no demo order)."""
    newest = WorkOrder.objects.filter(category__code__in=demo_category_codes()).order_by("-created")
    for offset in itertools.count(0, 500):
        batch = list(newest.values_list("created", flat=True)[offset : offset + 500])
        if not batch:
            return None
        for created in batch:
            if not created.microsecond:
                return created


def refresh_demo(
    *,
    scale: float = 1,
    seed: int = DEFAULT_SEED,
    now: datetime.datetime | None = None,
    today: datetime.date | None = None,
) -> dict[str, int] | None:
    """Brings a loaded demo up to `now` (default: now): the demo's open orders are deleted, and its
    history from the last REFRESH_DAYS (or since it ended, up to DEFAULT_DAYS) is written again
    ending now, with a fresh live queue, so the desk never shows a queue hours overdue. Orders
    people made since the load are kept. Deterministic given the seed, `now` and the data before.
    Returns the rows written per model, or None when the newest demo order is less than
    REFRESH_AFTER old (or there is none)."""
    now = (now or demo_now(today)).replace(microsecond=0)
    end = demo_history_end()
    if end is None or now - end < REFRESH_AFTER:
        return None
    start = max(min(end, now - datetime.timedelta(days=REFRESH_DAYS)), now - datetime.timedelta(days=DEFAULT_DAYS))
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        recent = set(demo_orders_since(start))
        open_orders = WorkOrder.objects.filter(category__code__in=demo_category_codes(), status__in=OPEN_STATUSES)
        stale = recent | {pk for pk, created in open_orders.values_list("pk", "created") if not created.microsecond}
        removed = _delete_orders(WorkOrder.objects.filter(pk__in=stale))
        demo = ServiceDeskDemo(scale=scale, seed=f"{seed}:{start.isoformat()}", now=now, start=start)
        written = demo.save()
    # The catalog is there already: what changed is the orders.
    return {"orders replaced": removed, **{name: written[name] for name in COUNTED[2:]}}


def delete_demo() -> None:
    """Removes the demo catalog with every work order in its categories (and their timelines)."""
    with transaction.atomic():
        categories = ServiceCategory.objects.filter(code__in=demo_category_codes())
        _delete_orders(WorkOrder.objects.filter(category__in=categories))
        categories.filter(parent__isnull=False).delete()
        categories.delete()
        services.orders_written_in_bulk.send(sender=WorkOrder)


def _delete_orders(orders) -> int:
    """Deletes orders with their timelines and photos; calls, notifications and duplicates that
    pointed at them lose the link. Plain DELETEs and UPDATEs: the ORM's delete() would first load
    every order (a million, for a benchmark's demo). Returns how many orders went."""
    ids = orders.values("pk")
    for relation in WorkOrder._meta.related_objects:
        related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids})
        if relation.on_delete is models.CASCADE:
            related.delete()
        elif relation.on_delete in (models.PROTECT, models.RESTRICT) and relation.related_model is not WorkOrder:
            if related.exists():
                raise models.ProtectedError("Other records point at these work orders.", set(related[:10]))
        else:  # SET_NULL, and duplicate_of: a duplicate of a deleted order is one no more
            related.update(**{relation.field.name: None})
    # _raw_delete: one DELETE statement, the related rows being dealt with above.
    return orders._raw_delete(orders.db)


def on_demo_seeded(sender, *, created, force, scale, seed, today, stdout=None, **kwargs) -> None:
    """`manage.py seed_demo` loaded the demo hospital (or found it): load the service desk's part,
    or, when it is there already, refresh it so that its live queue is of now (`make run`)."""
    import time

    started = time.monotonic()
    if demo_loaded():
        counts = refresh_demo(scale=scale, seed=seed, today=today)
        if stdout is not None:
            if counts is None:
                stdout.write(_("The service desk demo is already loaded and up to date; nothing changed."))
            else:
                write_counts(stdout, counts, time.monotonic() - started, refreshed=True)
        return
    counts = load_demo(scale=scale, seed=seed, today=today)
    if stdout is not None:
        write_counts(stdout, counts, time.monotonic() - started)


def on_demo_deleting(sender, *, stdout=None, **kwargs) -> None:
    """`seed_demo --force` is about to delete the demo hospital: the orders on it go first."""
    delete_demo()


def write_counts(stdout, counts: dict[str, int], seconds: float, refreshed: bool = False) -> None:
    if refreshed:
        stdout.write(_("Service desk demo brought up to now in %(seconds).1f s:") % {"seconds": seconds})
    else:
        stdout.write(_("Service desk demo loaded in %(seconds).1f s:") % {"seconds": seconds})
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        stdout.write(f"  {name.ljust(width)}  {count:>7,}")
