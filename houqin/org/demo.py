"""The demo hospital: a 1,500-bed tertiary hospital (三级甲等) with two campuses, ~4,000 locations,
~55 departments, the hospital's own logistics staff and six contractors' staff, seven teams, the
phone directory and one login per role.

Deterministic: the same seed (and the same `today`) gives the same records — codes, names, label
codes, phone numbers, dates. Dates that must stay near "now" (hire dates, certificate expiry, so
that some certificates are always about to expire) are counted from `today`.

Locations are created level by level with bulk_create, and the fields Location.save() derives
(tree_path, depth, full_name, search_text) are filled in here exactly as save() would, so that
40,000 locations load in seconds. No audit rows are written: loading a demo is nobody's change.

The demo password (HOUQIN_DEMO_PASSWORD, default "houqin2026") is for demonstrations only.
"""

import contextlib
import datetime
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houqin.accounts.roles import ROLES, sync_roles
from houqin.core import pinyin
from houqin.core.labels import ALPHABET
from houqin.org.models import (
    Certificate,
    Company,
    CompanyKind,
    Department,
    DepartmentKind,
    DirectoryEntry,
    EmploymentType,
    Gender,
    Location,
    LocationKind,
    Person,
    Site,
    Team,
    Trade,
)

DEFAULT_SEED = 2026
DEFAULT_PASSWORD = "houqin2026"
# The demo counts as loaded when its main campus exists.
MARKER_SITE_CODE = "A"

# Hooks for the apps built on org (the service desk…), which add their own demo data without org
# importing them. Both are sent by `manage.py seed_demo` inside its transaction.
# demo_seeded: the demo hospital is in the database, just loaded (created=True) or already there;
#   arguments: created, force, scale, seed, today, stdout (the command's output).
demo_seeded = Signal()
# demo_deleting: `seed_demo --force` is about to delete the demo hospital; receivers delete their
#   demo records that point at it first. Argument: stdout.
demo_deleting = Signal()


def demo_password() -> str:
    return os.environ.get("HOUQIN_DEMO_PASSWORD") or DEFAULT_PASSWORD


def demo_loaded() -> bool:
    return Site.objects.filter(code=MARKER_SITE_CODE).exists()


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # role code (a Group name); "" for the Django-admin superuser
    role_zh: str
    try_first: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "", "超级管理员", _("Django admin at /django-admin/ only; not for daily work")),
    DemoAccount("sysadmin", "system_admin", "系统管理员", _("Master data: the location tree, import and export")),
    DemoAccount("secadmin", "security_admin", "安全管理员", _("User accounts, roles and security events")),
    DemoAccount("auditor", "auditor", "审计员", _("Change records and security events (read only)")),
    DemoAccount("director", "director", "后勤主任", _("All master data: people, teams, contractors")),
    DemoAccount("agent1", "agent", "服务台接报员", _("Phone directory: find a caller by extension, e.g. 6101")),
    DemoAccount("agent2", "agent", "服务台接报员", _("Locations: type pinyin initials, e.g. xnk")),
    DemoAccount("dispatcher", "dispatcher", "调度员/班组长", _("Your team (water and power): who is on duty")),
    DemoAccount("worker1", "worker", "维修工（电工）", _("Locations and the phone directory")),
    DemoAccount(
        "cleanmgr", "contractor_manager", "外包项目经理（保洁）", _("Only your company's staff and certificates")
    ),
    DemoAccount("nurse", "department_user", "护士长（心内科）", _("Only your department's records")),
    DemoAccount("inspector", "inspector", "质控专员", _("Certificates expiring within 30 days")),
)

# --- reference data ------------------------------------------------------------------------------

SITES = (
    # code, name, short name, address, service desk phone
    ("A", "本部院区", "本部", "浙江省杭州市上城区康和路1号", "0571-88888000"),
    ("B", "东院区", "东院", "浙江省杭州市钱塘区东湖路88号", "0571-88889000"),
)

# code, name, site, wards (one floor each). JZK, ICU and MZK work in their own buildings.
CLINICAL_DEPARTMENTS = (
    ("XNK", "心内科", "A", 2),
    ("HXNK", "呼吸内科", "A", 2),
    ("XHNK", "消化内科", "A", 1),
    ("SJNK", "神经内科", "A", 2),
    ("SNK", "肾内科", "A", 1),
    ("NFMK", "内分泌科", "A", 1),
    ("XYK", "血液科", "A", 1),
    ("FSMYK", "风湿免疫科", "A", 1),
    ("GRK", "感染科", "A", 1),
    ("PWK", "普外科", "A", 1),
    ("GDWK", "肝胆外科", "A", 1),
    ("WCWK", "胃肠外科", "A", 1),
    ("RXWK", "乳腺外科", "A", 1),
    ("GK", "骨科", "A", 2),
    ("SJWK", "神经外科", "A", 1),
    ("XXWK", "心胸外科", "A", 1),
    ("MNWK", "泌尿外科", "A", 1),
    ("XGWK", "血管外科", "A", 1),
    ("SSZXK", "烧伤整形科", "A", 1),
    ("FK", "妇科", "A", 1),
    ("CK", "产科", "A", 1),
    ("EK", "儿科", "A", 1),
    ("XSEK", "新生儿科", "A", 1),
    ("YK", "眼科", "A", 1),
    ("EBHK", "耳鼻喉科", "A", 1),
    ("KQK", "口腔科", "A", 0),
    ("PFK", "皮肤科", "A", 0),
    ("QKYXK", "全科医学科", "A", 0),
    ("JZK", "急诊科", "A", 0),
    ("ICU", "重症医学科(ICU)", "A", 0),
    ("MZK", "麻醉科", "A", 0),
    ("KFYXK", "康复医学科", "B", 2),
    ("ZYK", "中医科", "B", 2),
    ("ZLK", "肿瘤科", "B", 2),
    ("LNYXK", "老年医学科", "B", 2),
    ("FLK", "放疗科", "B", 1),
    ("TTK", "疼痛科", "B", 1),
    ("JSXLK", "精神心理科", "B", 1),
    ("JKGLZX", "健康管理中心", "B", 0),
)
NO_CLINIC = ("JZK", "ICU", "MZK")

OTHER_DEPARTMENTS = (
    ("JYK", "检验科", DepartmentKind.MEDTECH),
    ("FSK", "放射科", DepartmentKind.MEDTECH),
    ("CSK", "超声科", DepartmentKind.MEDTECH),
    ("BLK", "病理科", DepartmentKind.MEDTECH),
    ("YJK", "药剂科", DepartmentKind.MEDTECH),
    ("SXK", "输血科", DepartmentKind.MEDTECH),
    ("YB", "院办", DepartmentKind.ADMINISTRATIVE),
    ("YWC", "医务处", DepartmentKind.ADMINISTRATIVE),
    ("HLB", "护理部", DepartmentKind.ADMINISTRATIVE),
    ("CWC", "财务处", DepartmentKind.ADMINISTRATIVE),
    ("RSC", "人事处", DepartmentKind.ADMINISTRATIVE),
    ("XXZX", "信息中心", DepartmentKind.ADMINISTRATIVE),
    ("SJC", "审计处", DepartmentKind.ADMINISTRATIVE),
    ("KJC", "科教处", DepartmentKind.ADMINISTRATIVE),
    ("HQBZC", "后勤保障处", DepartmentKind.LOGISTICS),
    ("SBC", "设备处", DepartmentKind.LOGISTICS),
    ("BWC", "保卫处", DepartmentKind.LOGISTICS),
)
COST_CENTER_BASE = {
    DepartmentKind.CLINICAL: 1001,
    DepartmentKind.MEDTECH: 2001,
    DepartmentKind.ADMINISTRATIVE: 3001,
    DepartmentKind.LOGISTICS: 4001,
}

HOSPITAL = ("HOSP", "杭州市康和医院", "三级甲等综合医院，编制床位1500张")
# code, name, services, team, staff as (trade, count, job titles)
CONTRACTORS = (
    (
        "JKWY",
        "杭州洁康物业服务有限公司",
        "保洁、消毒、医疗废物院内收集",
        "BJB",
        (("CLEAN", 149, "保洁员 " * 8 + "保洁领班"),),
    ),
    (
        "ZAAB",
        "浙江正安保安服务有限公司",
        "安保、门岗、消防监控",
        "ABB",
        (("GUARD", 59, "保安员 " * 6 + "保安班长 消防监控员"),),
    ),
    (
        "ADDT",
        "杭州安达电梯工程有限公司",
        "电梯、扶梯维护保养与急修",
        "DTB",
        (("LIFT", 11, "电梯维保工 电梯维保工 电梯急修工"),),
    ),
    (
        "HSCY",
        "杭州禾膳餐饮管理有限公司",
        "职工餐厅、病员膳食",
        "SSB",
        (("COOK", 44, "厨师 厨师 面点师 配餐员 帮厨 营养配餐员"),),
    ),
    (
        "QYXD",
        "杭州清源洗涤服务有限公司",
        "被服洗涤、消毒、收发",
        None,
        (("LAUND", 18, "洗涤工 洗涤工 被服收发员"), ("DRIVE", 1, "司机")),
    ),
    (
        "LYHB",
        "杭州绿源医疗环保有限公司",
        "医疗废物收运、处置",
        None,
        (("WASTE", 9, "医废收运员"), ("DRIVE", 3, "医废运输车司机")),
    ),
)
SUPPLIERS = (
    ("MHDQ", "浙江明辉电气设备有限公司", "配电设备、电线电缆、灯具"),
    ("HTNT", "杭州华通暖通设备有限公司", "空调机组、水泵及配件"),
    ("KJRH", "杭州康洁日化用品有限公司", "清洁消毒用品、垃圾袋"),
    ("YQGC", "浙江医气通气体工程有限公司", "医用气体设备及维保"),
)

# code, name, description, requires a certificate
TRADES = (
    ("ELEC", "电工", "高低压配电、照明、插座、开关", True),
    ("PLUMB", "水暖工", "给排水、卫浴洁具、管道疏通", False),
    ("HVAC", "空调工", "中央空调、新风、冷热源", True),
    ("BOIL", "锅炉工", "锅炉、蒸汽、热水系统", True),
    ("LIFT", "电梯工", "电梯、扶梯维保与困人救援", True),
    ("CARP", "木工", "门窗、家具、柜子维修", False),
    ("WELD", "焊工", "焊接与热切割", True),
    ("GEN", "综合维修工", "小修小补、综合维修", False),
    ("CLEAN", "保洁员", "日常保洁、终末消毒", False),
    ("PORT", "运送员", "病人、标本、药品、物资运送", False),
    ("COOK", "厨师", "职工及病员膳食加工", True),
    ("GUARD", "保安", "门岗、巡逻、秩序维护", True),
    ("LAUND", "洗涤工", "被服收集、洗涤、消毒、发放", False),
    ("WASTE", "医废收运员", "医疗废物收集、交接、转运", False),
    ("DRIVE", "司机", "公务、救护及专用车辆驾驶", True),
)

# code, name, company, trades — 11 teams merged into 7, as one hospital reported.
TEAMS = (
    ("SDWX", "水电维修班", "HOSP", ("ELEC", "PLUMB", "WELD", "CARP", "GEN")),
    ("NTKT", "暖通空调班", "HOSP", ("HVAC", "BOIL")),
    ("YSZX", "运送中心", "HOSP", ("PORT", "DRIVE")),
    ("DTB", "电梯班(外包)", "ADDT", ("LIFT",)),
    ("BJB", "保洁班(外包)", "JKWY", ("CLEAN",)),
    ("SSB", "膳食班(外包)", "HSCY", ("COOK",)),
    ("ABB", "安保班(外包)", "ZAAB", ("GUARD",)),
)
# The hospital's own logistics staff (59, as in the field report): team → (trade, count, job titles);
# the first person of a team leads it.
IN_HOUSE_TEAMS = (
    (
        "SDWX",
        (
            ("ELEC", 7, "电工 高级电工"),
            ("PLUMB", 5, "水暖工"),
            ("WELD", 2, "焊工"),
            ("CARP", 1, "木工"),
            ("GEN", 1, "综合维修工"),
        ),
    ),
    ("NTKT", (("HVAC", 8, "空调工 制冷工"), ("BOIL", 2, "司炉工"))),
    ("YSZX", (("PORT", 16, "运送员"), ("DRIVE", 4, "司机"))),
)
# The logistics office (后勤保障处), no team: job title, count.
LOGISTICS_OFFICE = (
    ("后勤主任", 1),
    ("后勤副主任", 1),
    ("服务台接报员", 6),
    ("质控专员", 2),
    ("物资管理员", 1),
    ("能源管理员", 1),
    ("设备管理员", 1),
)
OFFICE_LOGINS = {"后勤主任": ("director",), "服务台接报员": ("agent1", "agent2"), "质控专员": ("inspector",)}

# trade → certificate name, issuer, validity in years (None: no expiry), number prefix
CERTIFICATES = {
    "ELEC": ("低压电工作业证", "浙江省应急管理厅", 6, "T"),
    "HVAC": ("制冷与空调设备运行操作作业证", "浙江省应急管理厅", 6, "T"),
    "WELD": ("熔化焊接与热切割作业证", "浙江省应急管理厅", 6, "T"),
    "LIFT": ("特种设备作业人员证（电梯作业）", "杭州市市场监督管理局", 4, "TS"),
    "BOIL": ("特种设备作业人员证（工业锅炉司炉）", "杭州市市场监督管理局", 4, "TS"),
    "DRIVE": ("机动车驾驶证", "杭州市公安局交通警察支队", 6, "JZ"),
    "COOK": ("健康证", "杭州市疾病预防控制中心", 1, "JK"),
    "GUARD": ("保安员证", "杭州市公安局", None, "BA"),
}

# Share of women by trade, for believable rosters.
FEMALE_SHARE = {"CLEAN": 0.8, "LAUND": 0.7, "COOK": 0.45, "PORT": 0.3, "WASTE": 0.2, "office": 0.6, "nurse": 0.95}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
)
SURNAME_WEIGHTS = [8 if i < 10 else 3 if i < 30 else 1 for i in range(len(SURNAMES))]  # common ones more often
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欣晨阳建国志文利新海峰春永忠兵亮"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美玲萍红玉兰雪琳琴云莲真洁梅燕颖倩婷雯怡璐瑶佳欣悦晶荣丹凤"
MOBILE_PREFIXES = (
    tuple(f"13{d}" for d in "012356789") + tuple(f"15{d}" for d in "01235789") + tuple(f"18{d}" for d in "0123456789")
)

# --- floor plans -------------------------------------------------------------------------------
# One string per floor: "name[@department] low-high [area] [xN] [tel]" separated by ";". low-high is
# the floor area range in m²; "area" makes an open area instead of a room; "xN" repeats the room N
# times ({n} in the name is 1…N, {number} the room number); "tel" gives it a phone extension.

FLOOR_COMMON = "电梯厅 40-90 area; 东楼梯间 15-25; 西楼梯间 15-25; 男卫生间 12-25; 女卫生间 12-25; 配电间 6-12; 空调机房 15-40; 保洁工具间 4-8"
WARD_COMMON = "电梯厅 40-80 area; 东楼梯间 15-25; 西楼梯间 15-25; 公共卫生间 10-20; 配电间 6-12; 空调机房 15-30; 污物间 6-10; 保洁工具间 4-8"
WARD_SUPPORT = "护士站 20-40; 医生办公室 25-45; 主任办公室 15-25; 护士长办公室 12-20; 治疗室 15-25; 处置室 10-18; 换药室 12-20; 配餐间 8-15; 医护值班室 12-20; 库房 10-20; 开水间 4-8; 示教室 20-40; 被服间 6-10; 仪器室 10-20; 家属谈话室 10-15"
ICU_SUPPORT = "护士站 30-50; 医生办公室 30-45; 医护值班室 12-20; 主任办公室 15-25; 护士长办公室 12-20; 治疗室 15-25; 配药室 15-20; 库房 20-30; 更衣室 15-25; 家属等候区 60-100 area"
# The rooms of a ward whose extension goes into the phone directory, with the number range used.
WARD_PHONES = {"护士站": 6101, "医生办公室": 6501, "医护值班室": 6801, "主任办公室": 7101, "护士长办公室": 7501}

# Floors given as a token instead of a plan: CLINICS (outpatient floors, as many as needed from
# there up), ICU (the intensive care unit), WARDS (the campus's wards, one floor each, from there up).
CLINICS, ICU, WARDS = "<clinics>", "<icu>", "<wards>"
INPATIENT_BASE = {
    "B1": "设备机房 60-120; 生活水泵房 40-80; 库房 50-100; 地下车库 2000-4000 area",
    "1F": "住院大厅 300-500 area; 入院服务中心 60-100 tel; 住院药房@YJK 80-120 tel; 出院结算处@CWC 40-60 tel; 便民服务站 15-30",
}

# Per campus: building name, floor area (m²), department of rooms without one, fewest floors kept
# at a fractional scale (None: all), floor plans.
BUILDINGS = {
    "A": (
        (
            "门诊楼",
            32000,
            None,
            None,
            {
                "B1": "设备机房 80-150; 消防水泵房 60-100; 地下车库 3000-5000 area",
                "1F": "门诊大厅 600-900 area; 导医服务台 15-30 tel; 挂号收费处@CWC 60-100 tel; 门诊西药房@YJK 120-180 tel; 门诊中药房@YJK 60-100; 自助服务区 40-80 area; 门诊采血室@JYK 40-70",
                "2F": CLINICS,
            },
        ),
        ("住院部一号楼", 28000, None, None, {**INPATIENT_BASE, "2F": ICU, "3F": WARDS}),
        ("住院部二号楼", 28000, None, None, {**INPATIENT_BASE, "3F": WARDS}),
        (
            "医技楼",
            24000,
            None,
            None,
            {
                "B1": "设备机房 80-150; 医用气体汇流排间 20-40; 放射科库房@FSK 30-50",
                "1F": "放射科登记台@FSK 15-25 tel; 候检区@FSK 80-150 area; CT室{n}@FSK 40-60 x3; DR室{n}@FSK 30-45 x3; MR室{n}@FSK 50-70 x2; 放射科控制室@FSK 20-30; 阅片室@FSK 30-50",
                "2F": "标本接收室@JYK 20-30 tel; 生化室@JYK 60-90; 免疫室@JYK 50-80; 微生物室@JYK 50-80; 临检室@JYK 50-80; 分子诊断实验室@JYK 60-90; 检验科主任办公室@JYK 15-25; 超声登记台@CSK 10-20 tel; 超声诊室{n}@CSK 12-18 x8",
                "3F": "{n}号手术间@MZK 40-60 x14; 麻醉复苏室@MZK 80-120; 无菌物品间@MZK 30-50; 手术室护士站@MZK 20-30 tel; 麻醉科办公室@MZK 20-30; 更衣室@MZK 30-50",
                "4F": "病理取材室@BLK 20-30; 病理制片室@BLK 30-50; 病理诊断室@BLK 30-50 tel; 冰冻切片室@BLK 15-25; 储血室@SXK 20-30 tel; 配血室@SXK 20-30; 内镜中心候诊区@XHNK 60-100 area; 胃肠镜室{n}@XHNK 20-30 x4",
                "5F": "静脉用药调配中心@YJK 200-300 tel; 药库@YJK 200-300; 药剂科办公室@YJK 20-30; 临床药学室@YJK 20-30",
            },
        ),
        (
            "急诊楼",
            9000,
            "JZK",
            None,
            {
                "1F": "急诊大厅 200-300 area; 急诊分诊台 15-25 tel; 抢救室 100-150 tel; 清创室 20-30; 急诊药房@YJK 30-50; 急诊收费处@CWC 20-30; 120接诊区 50-80 area; 急诊{n}诊室 12-16 x4",
                "2F": "急诊留观室 80-120; 急诊输液室 100-150; EICU 100-150; 急诊护士站 20-30 tel",
                "3F": "急诊科办公室 20-30; 急诊医生值班室 15-25; 示教室 40-60",
            },
        ),
        (
            "行政楼",
            8000,
            None,
            4,
            {
                "1F": "保卫处办公室@BWC 30-60; 保卫处处长室@BWC 15-25; 监控中心@BWC 40-60 tel; 消防控制室@BWC 30-50 tel; 设备处办公室@SBC 30-60; 设备处处长室@SBC 15-25; 第一会议室 40-80",
                "2F": "财务处办公室@CWC 40-80; 财务处处长室@CWC 15-25; 人事处办公室@RSC 30-60; 人事处处长室@RSC 15-25; 第二会议室 40-80",
                "3F": "医务处办公室@YWC 30-60; 医务处处长室@YWC 15-25; 护理部办公室@HLB 30-60; 护理部主任室@HLB 15-25; 科教处办公室@KJC 30-60; 第三会议室 40-80",
                "4F": "信息中心办公室@XXZX 40-80; 数据中心机房@XXZX 120-200 tel; 运维值班室@XXZX 20-30; 审计处办公室@SJC 30-50; 审计处处长室@SJC 15-25",
                "5F": "院办办公室@YB 30-60; 院长办公室@YB 30-50; 党委办公室@YB 30-50; 第五会议室 60-100",
                "6F": "学术会议厅 200-300; 档案室 60-100; 院史陈列室 80-120",
            },
        ),
        (
            "后勤动力中心",
            6000,
            "HQBZC",
            None,
            {
                "B1": "消防水泵房 80-120; 生活水箱间 60-100; 污水提升泵房 30-50",
                "1F": "一站式后勤服务中心 120-180; 高压配电室 150-250 tel; 低压配电室 150-250; 柴油发电机房 80-120; 锅炉房 200-300 tel; 能源监控中控室 40-60 tel",
                "2F": "冷冻机房 300-400 tel; 空压机房 60-100; 负压吸引机房 40-60; 后勤保障处办公室 40-60; 后勤主任办公室 20-30",
                "3F": "水电维修班办公室 30-50; 暖通空调班办公室 30-50; 电梯班值班室 20-30; 运送中心调度室 30-50; 工具间 20-40; 维修备件库 80-150; 后勤仓库 150-250",
            },
        ),
        (
            "食堂",
            4500,
            None,
            None,
            {
                "1F": "职工餐厅 600-800 area; 收银台 10-20; 食品库房 60-100; 洗消间 40-60",
                "2F": "病员餐厅 300-400 area; 营养配餐室 40-60; 订餐服务台 15-25 tel",
                "3F": "主食加工间 80-120; 热菜间 100-150; 冷菜间 20-30; 面点间 40-60; 更衣室 20-30; 膳食班办公室 20-30",
            },
        ),
        (
            "科研楼",
            12000,
            "KJC",
            1,
            {"1F": "学术报告厅 300-400; 图书馆 200-300; {number}实验室 40-80 x3"}
            | {f"{level}F": "{number}实验室 40-80 x8" for level in range(2, 9)},
        ),
    ),
    "B": (
        (
            "门急诊医技楼",
            26000,
            None,
            None,
            {
                "B1": "设备机房 80-150; 地下车库 2000-3000 area",
                "1F": "门诊大厅 400-600 area; 导医服务台 15-25 tel; 挂号收费处@CWC 40-60 tel; 门诊药房@YJK 80-120 tel; 急诊分诊台@JZK 15-25 tel; 急诊抢救室@JZK 60-100 tel; 采血室@JYK 30-50",
                "2F": "CT室@FSK 40-60; DR室@FSK 30-45; MR室@FSK 50-70; 放射科登记台@FSK 10-20 tel; 检验科东院实验室@JYK 80-120; 超声诊室{n}@CSK 12-18 x2",
                "3F": "康复治疗大厅@KFYXK 400-600 area; 作业治疗室@KFYXK 40-60; 言语治疗室@KFYXK 20-30; 针灸推拿室@ZYK 40-60",
                "4F": CLINICS,
            },
        ),
        ("住院楼", 30000, None, None, {**INPATIENT_BASE, "3F": WARDS}),
        (
            "后勤综合楼",
            5000,
            "HQBZC",
            None,
            {
                "1F": "东院后勤服务站 40-60 tel; 变配电室 120-200 tel; 锅炉房 150-200; 东院职工食堂@- 300-400 area",
                "2F": "被服收发室 40-60 tel; 维修班组东院值班室 20-30; 东院仓库 100-150",
            },
        ),
    ),
}
OUTDOOR = {
    "A": (
        "停车场",
        "污水处理站",
        "医疗废物暂存间",
        "生活垃圾站",
        "液氧站",
        "南门门卫室",
        "北门门卫室",
        "中心花园",
        "发热门诊候诊区",
    ),
    "B": ("停车场", "污水处理站", "医疗废物暂存间", "生活垃圾站", "液氧站", "东门门卫室"),
}
CLINICS_PER_FLOOR = 5
ROOMS_PER_CLINIC = 5
CN_NUMBERS = "零一二三四五六七八九十"


def parse_plan(spec: str):
    """Yields (name, department code or None, low, high, kind, telephone) for a floor plan string."""
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        words = item.split()
        name, _sep, dept = words[0].partition("@")
        low, high = (float(x) for x in words[1].split("-"))
        flags = words[2:]
        kind = LocationKind.AREA if "area" in flags else LocationKind.ROOM
        repeat = next((int(flag[1:]) for flag in flags if flag.startswith("x")), 0)
        for n in range(1, max(1, repeat) + 1):
            yield name.replace("{n}", str(n)), dept or None, low, high, kind, "tel" in flags


class DemoBuilder:
    """Builds the demo hospital in memory, then writes it with a handful of bulk inserts."""

    def __init__(
        self,
        *,
        scale: float = 1,
        seed: int = DEFAULT_SEED,
        today: datetime.date | None = None,
        password: str | None = None,
    ):
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        # An integer scale repeats the building stock (phase two 二期, three 三期…); a fraction keeps
        # every building but fewer ward and office floors, for quick tests.
        self.copies = max(1, int(scale))
        self.fraction = min(1.0, scale)
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.password = password or demo_password()
        self.levels: dict[int, list[Location]] = defaultdict(list)
        self.floor_rooms: dict[int, int] = defaultdict(int)  # id(floor) → rooms numbered on it so far
        self.label_codes: set[str] = set()
        self.mobiles: set[str] = set()
        self.numbers: set[str] = set()
        self.extension_next: dict[int, int] = {}
        self.employee_seq: dict[str, int] = defaultdict(int)
        self.building_seq: dict[str, int] = defaultdict(int)
        self.people: list[Person] = []
        self.person_trades: list[tuple[Person, str]] = []
        self.certificates: list[Certificate] = []
        self.validity: dict[int, int] = {}  # id(certificate) → years
        self.wards: list[dict] = []
        self.phone_rooms: list[Location] = []
        self.directory: list[DirectoryEntry] = []
        self.site_beds: dict[str, int] = defaultdict(int)

    # --- small generators ----------------------------------------------------------------------

    def count(self, base: int, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    def floors(self, base: int, minimum: int = 1) -> int:
        return max(minimum, round(base * self.fraction))

    def label_code(self) -> str:
        while True:
            code = "L" + "".join(self.rng.choice(ALPHABET) for _i in range(6))
            if code not in self.label_codes:
                self.label_codes.add(code)
                return code

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def extension(self, pool: int) -> str:
        """The next free extension of a range (6xxx nurse stations, 7xxx offices…). Numbers are
        unique across ranges; a full range runs on into the next one or into five digits."""
        number = self.extension_next.get(pool, pool)
        while str(number) in self.numbers or number % 100 == 0:
            number += 1
        self.extension_next[pool] = number + self.rng.choice((1, 1, 1, 2))
        self.numbers.add(str(number))
        return str(number)

    def area(self, low: float, high: float) -> Decimal:
        return Decimal(f"{self.rng.uniform(low, high):.2f}")

    def gender(self, female_share: float) -> str:
        return Gender.FEMALE if self.rng.random() < female_share else Gender.MALE

    def name(self, gender: str) -> str:
        surname = self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        chars = GIVEN_FEMALE if gender == Gender.FEMALE else GIVEN_MALE
        given = self.rng.choice(chars)
        if self.rng.random() < 0.7:
            given += self.rng.choice(chars)
        return surname + given

    def days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def credit_code(self, kind: str = "91") -> str:
        """A unified social credit code (统一社会信用代码, GB 32100) with valid check characters;
        kind 91 is a company, 12 a public institution such as a public hospital."""
        org = "".join(self.rng.choice("0123456789") for _i in range(8))
        check = 11 - sum(int(c) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        org += {10: "X", 11: "0"}.get(check, str(check))
        body = kind + self.rng.choice(("330102", "330105", "330106", "330108", "330110", "330114")) + org
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
        check = (31 - sum(chars.index(c) * w for c, w in zip(body, weights, strict=True)) % 31) % 31
        return body + chars[check]

    def dept(self, code: str | None) -> Department | None:
        return self.departments[code] if code else None

    # --- organisation --------------------------------------------------------------------------

    def build_org(self) -> None:
        self.sites = {
            code: Site(code=code, name=name, short_name=short, address=address, phone=phone)
            for code, name, short, address, phone in SITES
        }
        code, name, services = HOSPITAL
        self.hospital = Company(
            code=code,
            name=name,
            kind=CompanyKind.HOSPITAL,
            services=services,
            credit_code=self.credit_code("12"),
            contact_phone=SITES[0][4],
        )
        self.companies = {code: self.hospital}
        for code, name, services, _team, _staff in CONTRACTORS:
            self.companies[code] = Company(
                code=code, name=name, kind=CompanyKind.CONTRACTOR, services=services, credit_code=self.credit_code()
            )
        for code, name, services in SUPPLIERS:
            self.companies[code] = Company(
                code=code,
                name=name,
                kind=CompanyKind.SUPPLIER,
                services=services,
                credit_code=self.credit_code(),
                contact_name=self.name(self.gender(0.4)),
                contact_phone=self.mobile(),
            )
        self.trades = {
            code: Trade(code=code, name=name, description=desc, requires_certificate=cert)
            for code, name, desc, cert in TRADES
        }
        self.departments = {}
        seq = defaultdict(int)
        rows = [(code, name, DepartmentKind.CLINICAL, site) for code, name, site, _wards in CLINICAL_DEPARTMENTS]
        rows += [(code, name, kind, "A") for code, name, kind in OTHER_DEPARTMENTS]
        for code, name, kind, site in rows:
            cost_center = f"CC-{COST_CENTER_BASE[kind] + seq[kind] * 10 + self.rng.randint(0, 9)}"
            seq[kind] += 1
            self.departments[code] = Department(
                code=code,
                name=name,
                kind=kind,
                cost_center=cost_center,
                site=self.sites[site],
                head=self.name(self.gender(0.35)),
            )
        self.teams = {
            code: Team(
                code=code, name=name, company=self.companies[company], site=self.sites["A"], phone=self.extension(8101)
            )
            for code, name, company, _trades in TEAMS
        }

    # --- locations -----------------------------------------------------------------------------

    def location(self, parent, code, name, kind, *, site, department=None, area_m2=None) -> Location:
        loc = Location(
            code=code, name=name, kind=kind, parent=parent, site=site, department=department, area_m2=area_m2
        )
        loc.label_code = self.label_code()
        # What Location.save() derives; tree_path follows once the ids are known.
        loc.depth = parent.depth + 1 if parent else 0
        loc.full_name = (f"{parent.full_name} / {name}" if parent else name)[:500]
        loc.search_text = loc.build_search_text()
        self.levels[loc.depth].append(loc)
        return loc

    def floor(self, building: Location, label: str, department=None) -> Location:
        return self.location(
            building, f"{building.code}-{label}", label, LocationKind.FLOOR, site=building.site, department=department
        )

    def room(self, floor: Location, name: str, *, kind=LocationKind.ROOM, department=None, area=(10, 30)) -> Location:
        """A room or an open area on a floor, numbered along the corridor (312; Q03 for an area)."""
        self.floor_rooms[id(floor)] += 1
        seq = self.floor_rooms[id(floor)]
        number = f"Q{seq:02d}" if kind == LocationKind.AREA else f"{floor.name.rstrip('F')}{seq:02d}"
        name = name.replace("{number}", number)
        return self.location(
            floor,
            f"{floor.code}-{number}",
            name,
            kind,
            site=floor.site,
            department=department,
            area_m2=self.area(*area),
        )

    def bed(self, parent: Location, seq: int, number: int, department) -> Location:
        return self.location(
            parent, f"{parent.code}-{seq:02d}", f"{number}床", LocationKind.BED, site=parent.site, department=department
        )

    def plan_rooms(self, floor: Location, spec: str, default_department=None) -> dict[str, Location]:
        rooms = {}
        for name, dept, low, high, kind, tel in parse_plan(spec):
            department = None if dept == "-" else self.dept(dept) if dept else default_department
            rooms[name] = self.room(floor, name, kind=kind, department=department, area=(low, high))
            if tel:
                self.phone_rooms.append(rooms[name])
        return rooms

    def build_locations(self) -> None:
        self.campuses = {
            code: self.location(None, code, site.name, LocationKind.CAMPUS, site=site)
            for code, site in self.sites.items()
        }
        wards, clinics = defaultdict(list), defaultdict(list)
        for code, _name, site, ward_count in CLINICAL_DEPARTMENTS:
            if code not in NO_CLINIC:
                clinics[site].append(self.dept(code))
            wards[site] += [self.dept(code)] * ward_count
        for copy in range(self.copies):
            for site_code, buildings in BUILDINGS.items():
                # The campus's wards are shared out, in order, over its inpatient buildings.
                ward_buildings = [b for b in buildings if WARDS in b[4].values()]
                share = -(-len(wards[site_code]) // len(ward_buildings))
                for building in buildings:
                    ward_share = []
                    if building in ward_buildings:
                        i = ward_buildings.index(building)
                        ward_share = wards[site_code][i * share : (i + 1) * share]
                    self.build_building(self.campuses[site_code], copy, building, ward_share, clinics[site_code])
        for code, campus in self.campuses.items():
            for n, name in enumerate(OUTDOOR[code], start=1):
                self.location(
                    campus, f"{code}-W{n:02d}", name, LocationKind.AREA, site=campus.site, area_m2=self.area(30, 1500)
                )

    def build_building(self, campus, copy, spec, ward_departments, clinic_departments) -> None:
        name, area_m2, default_dept, min_floors, plans = spec
        site = campus.site
        self.building_seq[site.code] += 1
        if copy:
            name = f"{CN_NUMBERS[copy + 1] if copy < 10 else copy + 1}期{name}"
        building = self.location(
            campus,
            f"{site.code}{self.building_seq[site.code]}",
            name,
            LocationKind.BUILDING,
            site=site,
            area_m2=self.area(area_m2 * 0.95, area_m2 * 1.05),
        )
        default_dept = self.dept(default_dept)
        labels = list(plans)
        if min_floors is not None:
            labels = labels[: self.floors(len(labels), minimum=min_floors)]
        for label in labels:
            plan = plans[label]
            level = int(label.rstrip("F")) if label.endswith("F") else 0
            if plan == CLINICS:
                for start in range(0, len(clinic_departments), CLINICS_PER_FLOOR):
                    self.clinic_floor(
                        building,
                        f"{level + start // CLINICS_PER_FLOOR}F",
                        clinic_departments[start : start + CLINICS_PER_FLOOR],
                    )
            elif plan == WARDS:
                for i, department in enumerate(ward_departments[: self.floors(len(ward_departments))]):
                    beds = self.rng.randint(33, 37) if site.code == "A" else self.rng.randint(44, 47)
                    self.ward_floor(building, f"{level + i}F", department, beds)
            elif plan == ICU:
                self.icu_floor(building, label, self.dept("ICU"))
            else:
                floor = self.floor(building, label, department=default_dept)
                self.plan_rooms(floor, plan, default_dept)
                self.plan_rooms(floor, FLOOR_COMMON)

    def clinic_floor(self, building, label, departments) -> None:
        floor = self.floor(building, label)
        self.plan_rooms(floor, "候诊区 150-300 area; 护士分诊台 10-20 tel")
        for dept in departments:
            for n in range(1, self.floors(ROOMS_PER_CLINIC) + 1):
                self.room(floor, f"{dept.name}{n}诊室", department=dept, area=(10, 16))
        self.plan_rooms(floor, FLOOR_COMMON)

    def ward_floor(self, building: Location, label: str, department: Department, beds: int) -> None:
        floor = self.floor(building, label, department=department)
        ward_no = sum(1 for w in self.wards if w["department"] is department) + 1
        rooms_of_three = (beds - 2) // 3
        bed_no = 0
        for i in range(beds - 2 * rooms_of_three):
            single = i >= rooms_of_three  # the rest are single rooms
            room = self.room(floor, "{number}病房", department=department, area=(16, 22) if single else (26, 34))
            for seq in range(1, 2 if single else 4):
                bed_no += 1
                self.bed(room, seq, bed_no, department)
        support = self.plan_rooms(floor, WARD_SUPPORT, department)
        self.plan_rooms(floor, WARD_COMMON)
        self.site_beds[floor.site.code] += bed_no
        name = f"{department.name}{CN_NUMBERS[ward_no] if ward_no <= 10 else ward_no}病区"
        self.wards.append({"department": department, "name": name, "support": support})

    def icu_floor(self, building, label, department) -> None:
        floor = self.floor(building, label, department=department)
        hall = self.room(floor, "ICU监护大厅", kind=LocationKind.AREA, department=department, area=(400, 500))
        beds = self.floors(16, minimum=4)
        for seq in range(1, beds + 1):
            self.bed(hall, seq, seq, department)
        for k in range(1, 3):
            room = self.room(floor, f"负压隔离病房{k}", department=department, area=(20, 28))
            self.bed(room, 1, beds + k, department)
        support = self.plan_rooms(floor, ICU_SUPPORT, department)
        self.plan_rooms(floor, WARD_COMMON)
        self.site_beds[floor.site.code] += beds + 2
        self.wards.append({"department": department, "name": "重症医学科病区", "support": support})

    # --- people --------------------------------------------------------------------------------

    def person(
        self,
        *,
        company,
        prefix,
        employment_type,
        female_share,
        job_title="",
        trade=None,
        team=None,
        department=None,
        hired=(365, 9000),
        on_duty=None,
    ) -> Person:
        self.employee_seq[prefix] += 1
        gender = self.gender(female_share)
        person = Person(
            employee_no=f"{prefix}{self.employee_seq[prefix]:04d}",
            name=self.name(gender),
            gender=gender,
            phone=self.mobile(),
            company=company,
            department=department,
            team=team,
            employment_type=employment_type,
            job_title=job_title,
            hired_on=self.days_ago(*hired),
            on_duty=self.rng.random() < 0.6 if on_duty is None else on_duty,
        )
        self.people.append(person)
        if trade:
            self.person_trades.append((person, trade))
            if trade in CERTIFICATES:
                self.certificate(person, trade)
        return person

    def certificate(self, person: Person, trade: str) -> None:
        name, issuer, years, prefix = CERTIFICATES[trade]
        number = prefix + "".join(self.rng.choice("0123456789") for _i in range(12 if prefix == "T" else 10))
        cert = Certificate(person=person, name=name, number=number, issuer=issuer)
        if years is None:
            cert.issued_on = self.days_ago(200, 3000)
        else:
            # Valid for a while yet; expiry_mix() then makes a fixed share expire soon or already.
            cert.expires_on = self.today + datetime.timedelta(days=self.rng.randint(31, years * 365))
            self.validity[id(cert)] = years
        self.certificates.append(cert)

    def expiry_mix(self) -> None:
        """~5 % of the certificates expire within 30 days and ~2 % have expired, so that the
        warnings always have something to show."""
        dated = [c for c in self.certificates if c.expires_on is not None]
        soon = max(1, round(len(self.certificates) * 0.05))
        picked = self.rng.sample(dated, soon + max(1, round(len(self.certificates) * 0.02)))
        for i, cert in enumerate(picked):
            days = self.rng.randint(0, 30) if i < soon else -self.rng.randint(1, 90)
            cert.expires_on = self.today + datetime.timedelta(days=days)
        for cert in dated:
            cert.issued_on = cert.expires_on - datetime.timedelta(days=self.validity[id(cert)] * 365)

    def in_house_type(self, trade: str | None = None) -> str:
        weights = (0.1, 0.3, 0.6) if trade == "PORT" else (0.45, 0.35, 0.2)
        return self.rng.choices(
            (EmploymentType.PERMANENT, EmploymentType.CONTRACT, EmploymentType.DISPATCHED), weights=weights
        )[0]

    def build_people(self) -> dict[str, Person]:
        """Everyone; returns the people who get a demo login, by username."""
        hosp, hq = self.hospital, self.dept("HQBZC")
        logins: dict[str, Person] = {}
        staff = {"company": hosp, "prefix": "YG", "employment_type": EmploymentType.PERMANENT, "on_duty": True}
        logins["sysadmin"] = self.person(
            **staff, female_share=0.3, department=self.dept("XXZX"), job_title="系统管理员"
        )
        logins["secadmin"] = self.person(
            **staff, female_share=0.3, department=self.dept("XXZX"), job_title="安全管理员"
        )
        logins["auditor"] = self.person(**staff, female_share=0.6, department=self.dept("SJC"), job_title="审计员")
        # A head nurse per ward; the first (心内科一病区) is the department user. Wards go in the
        # order of the department list from here on, so that extension 6101 is 心内科's too.
        order = {code: i for i, (code, *_rest) in enumerate(CLINICAL_DEPARTMENTS)}
        self.wards.sort(key=lambda ward: order[ward["department"].code])
        for ward in self.wards:
            ward["head_nurse"] = self.person(
                **staff,
                female_share=FEMALE_SHARE["nurse"],
                department=ward["department"],
                job_title="护士长",
                hired=(3000, 9000),
            )
            logins.setdefault("nurse", ward["head_nurse"])
        # The logistics office (后勤保障处).
        for title, base in LOGISTICS_OFFICE:
            usernames = list(OFFICE_LOGINS.get(title, ()))
            for _i in range(max(len(usernames), self.count(base))):
                kind = self.in_house_type() if title == "服务台接报员" else EmploymentType.PERMANENT
                person = self.person(
                    company=hosp,
                    prefix="HQ",
                    employment_type=kind,
                    female_share=FEMALE_SHARE["office"],
                    department=hq,
                    job_title=title,
                )
                if usernames:
                    person.on_duty = True
                    logins[usernames.pop(0)] = person
        # In-house teams: the first person leads the team; 水电维修班's leader is the dispatcher.
        for team_code, roster in IN_HOUSE_TEAMS:
            team = self.teams[team_code]
            for trade, base, titles in roster:
                for _i in range(self.count(base, minimum=2 if trade == "ELEC" else 1)):
                    leads = team.leader is None
                    person = self.person(
                        company=hosp,
                        prefix="HQ",
                        employment_type=EmploymentType.PERMANENT if leads else self.in_house_type(trade),
                        female_share=FEMALE_SHARE.get(trade, 0.05),
                        job_title=f"{team.name}班长" if leads else self.rng.choice(titles.split()),
                        trade=trade,
                        team=team,
                        department=hq,
                        on_duty=True if leads else None,
                    )
                    if leads:
                        team.leader = person
                        if team_code == "SDWX":
                            logins["dispatcher"] = person
                    elif team_code == "SDWX" and trade == "ELEC" and "worker1" not in logins:
                        person.on_duty = True
                        logins["worker1"] = person
        # Contractors: a project manager, who also leads the contractor's team, and the staff.
        for code, _name, _services, team_code, roster in CONTRACTORS:
            company, team = self.companies[code], self.teams.get(team_code)
            prefix = f"WB-{code}-"
            manager = self.person(
                company=company,
                prefix=prefix,
                employment_type=EmploymentType.OUTSOURCED,
                female_share=0.4,
                job_title="项目经理",
                team=team,
                on_duty=True,
                hired=(365, 3000),
            )
            company.contact_name, company.contact_phone = manager.name, manager.phone
            if team is not None:
                team.leader = manager
            if code == "JKWY":
                logins["cleanmgr"] = manager
            for trade, base, titles in roster:
                for _i in range(self.count(base)):
                    self.person(
                        company=company,
                        prefix=prefix,
                        employment_type=EmploymentType.OUTSOURCED,
                        female_share=FEMALE_SHARE.get(trade, 0.05),
                        job_title=self.rng.choice(titles.split()),
                        trade=trade,
                        team=team,
                        hired=(30, 3000),
                    )
        self.hospital.contact_name = logins["director"].name
        self.expiry_mix()
        return logins

    # --- phone directory -----------------------------------------------------------------------

    def entry(self, number: str, label: str, *, department=None, location=None, person=None, note="") -> None:
        self.numbers.add(number)
        self.directory.append(
            DirectoryEntry(
                number=number, label=label, department=department, location=location, person=person, note=note
            )
        )

    def build_directory(self) -> None:
        hq = self.dept("HQBZC")
        for site in self.sites.values():
            self.entry(site.phone, f"{site.name}后勤服务热线", department=hq, note="7×24")
        self.entry("8000", "一站式后勤服务中心", department=hq, note="院内统一报修电话，7×24")
        for ward in self.wards:
            department = ward["department"]
            for room, pool in WARD_PHONES.items():
                number = self.extension(pool)
                self.entry(number, f"{ward['name']}{room}", department=department, location=ward["support"][room])
                if room == "主任办公室" and not department.phone:
                    department.phone = number
        # Some head nurses' own mobiles, so that their calls are recognised too.
        for i, ward in enumerate(self.wards):
            if i == 0 or self.rng.random() < 0.6:
                nurse = ward["head_nurse"]
                self.entry(
                    nurse.phone,
                    f"{nurse.name}（{ward['name']}护士长）",
                    department=ward["department"],
                    person=nurse,
                    note="手机",
                )
        rooms = {}
        for loc in self.levels[3]:
            rooms.setdefault((loc.site.code, loc.name), loc)
        for department in self.departments.values():
            if not department.phone:
                department.phone = self.extension(7701)
                office = rooms.get((department.site.code, f"{department.name}办公室"))
                self.entry(department.phone, f"{department.name}办公室", department=department, location=office)
        for room in self.phone_rooms:
            building, floor = room.full_name.split(" / ")[1:3]
            self.entry(self.extension(8201), f"{building}{floor}{room.name}", department=room.department, location=room)
        for team in self.teams.values():
            base = team.name.split("(")[0]
            office = next(
                (rooms[("A", base + s)] for s in ("办公室", "值班室", "调度室") if ("A", base + s) in rooms), None
            )
            department = hq if team.company is self.hospital else None
            self.entry(team.phone, f"{team.name}值班电话", department=department, location=office, person=team.leader)

    # --- writing -------------------------------------------------------------------------------

    def save(self) -> dict[str, int]:
        """Builds the hospital and writes it in one transaction; returns the rows per model."""
        self.build_org()
        self.label_codes |= set(Location.objects.values_list("label_code", flat=True))
        with _pinyin_by_parts():
            self.build_locations()
        logins = self.build_people()
        self.build_directory()
        for site in self.sites.values():
            site.beds = self.site_beds[site.code]
        with transaction.atomic():
            _bulk(Site, self.sites.values())
            _bulk(Company, self.companies.values())
            _bulk(Trade, self.trades.values())
            _bulk(Department, self.departments.values())
            self.save_locations()
            # Teams first without their leaders: the leaders are members, saved after the teams.
            leaders = {code: team.leader for code, team in self.teams.items()}
            for team in self.teams.values():
                team.leader = None
            _bulk(Team, self.teams.values())
            Team.trades.through.objects.bulk_create(
                Team.trades.through(team_id=self.teams[code].pk, trade_id=self.trades[trade].pk)
                for code, _n, _c, trades in TEAMS
                for trade in trades
            )
            users = self.save_users(logins)
            _bulk(Person, self.people)
            for code, team in self.teams.items():
                team.leader = leaders[code]
            Team.objects.bulk_update(self.teams.values(), ["leader"])
            Person.trades.through.objects.bulk_create(
                (
                    Person.trades.through(person_id=person.pk, trade_id=self.trades[trade].pk)
                    for person, trade in self.person_trades
                ),
                batch_size=1000,
            )
            Certificate.objects.bulk_create(self.certificates, batch_size=1000)
            _bulk(DirectoryEntry, self.directory)
        return {
            "sites": len(self.sites),
            "locations": sum(len(level) for level in self.levels.values()),
            "beds": sum(self.site_beds.values()),
            "departments": len(self.departments),
            "companies": len(self.companies),
            "trades": len(self.trades),
            "teams": len(self.teams),
            "people": len(self.people),
            "certificates": len(self.certificates),
            "directory entries": len(self.directory),
            "users": users,
        }

    def save_locations(self) -> None:
        for depth in sorted(self.levels):
            level = self.levels[depth]
            # bulk_create takes each parent_id from the parent saved one level up.
            Location.objects.bulk_create(level, batch_size=1000)
            parent_path = Location.objects.filter(pk=OuterRef("parent_id")).values("tree_path")[:1]
            Location.objects.filter(site__in=self.sites.values(), depth=depth).update(
                tree_path=Concat(Coalesce(Subquery(parent_path), Value("/")), Cast("pk", CharField()), Value("/"))
            )

    def save_users(self, logins: dict[str, Person]) -> int:
        if Group.objects.filter(name__in=[role.code for role in ROLES]).count() < len(ROLES):
            sync_roles()
        groups = dict(Group.objects.filter(name__in=[role.code for role in ROLES]).values_list("name", "pk"))
        # One hash for all: the demo accounts share one password anyway, and hashing is slow.
        password = make_password(self.password)
        users = []
        for account in DEMO_ACCOUNTS:
            person = logins.get(account.username)
            superuser = not account.role
            users.append(
                get_user_model()(
                    username=account.username,
                    password=password,
                    first_name=person.name if person else "",
                    is_staff=superuser,
                    is_superuser=superuser,
                )
            )
        get_user_model().objects.bulk_create(users)
        for user in users:
            if user.username in logins:
                logins[user.username].user = user
        Membership = get_user_model().groups.through
        Membership.objects.bulk_create(
            Membership(user_id=user.pk, group_id=groups[account.role])
            for user, account in zip(users, DEMO_ACCOUNTS, strict=True)
            if account.role
        )
        return len(users)


@contextlib.contextmanager
def _pinyin_by_parts():
    """Converts a full name ("A / B / C") to pinyin part by part, each part once.

    pypinyin reads every run of Chinese characters on its own and " / " ends a run, so the joined
    pinyin of a full name is its parts' pinyin joined by " / "; converting the 40,000 full names
    whole would take most of the loading time. search_key() itself stays the one definition of
    search_text (the tests compare every demo location with build_search_text())."""
    real, cache = pinyin.lazy_pinyin, {}

    def by_parts(text, **kwargs):
        options = tuple(sorted(kwargs.items()))
        converted = []
        for part in text.split(" / "):
            if (part, options) not in cache:
                cache[part, options] = "".join(real(part, **kwargs))
            converted.append(cache[part, options])
        return [" / ".join(converted)]

    with mock.patch.object(pinyin, "lazy_pinyin", by_parts):
        yield


def _bulk(model, objs) -> None:
    """bulk_create plus what MasterDataModel.save() adds (bulk_create calls no save())."""
    objs = list(objs)
    for obj in objs:
        obj.search_text = obj.build_search_text()
    model.objects.bulk_create(objs, batch_size=1000)


def load_demo(
    *, scale: float = 1, seed: int = DEFAULT_SEED, today: datetime.date | None = None, password: str | None = None
) -> dict[str, int]:
    """Loads the demo hospital (see the module docstring); returns the rows created per model."""
    return DemoBuilder(scale=scale, seed=seed, today=today, password=password).save()


def delete_demo() -> None:
    """Removes the demo hospital: its sites with every location and department on them, its
    companies with their people, its trades, teams, directory entries and logins.

    Raises django.db.models.ProtectedError, and changes nothing, when other records still use any
    of it (a work order placed on a demo location, a person of another company in a demo
    department…)."""
    sites = Site.objects.filter(code__in=[code for code, *_rest in SITES])
    companies = [HOSPITAL[0]] + [c[0] for c in CONTRACTORS] + [s[0] for s in SUPPLIERS]
    with transaction.atomic():
        DirectoryEntry.objects.filter(
            Q(location__site__in=sites) | Q(department__site__in=sites) | Q(person__company__code__in=companies)
        ).delete()
        Person.objects.filter(company__code__in=companies).delete()
        Team.objects.filter(code__in=[t[0] for t in TEAMS]).delete()
        Company.objects.filter(code__in=companies).delete()
        Trade.objects.filter(code__in=[t[0] for t in TRADES]).delete()
        locations = Location.objects.filter(site__in=sites)
        for depth in sorted(set(locations.values_list("depth", flat=True)), reverse=True):
            locations.filter(depth=depth).delete()  # deepest first: a location protects its children
        Department.objects.filter(site__in=sites).delete()
        sites.delete()
        get_user_model().objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).delete()
