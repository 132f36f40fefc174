import datetime

import pytest
from django.utils import timezone

from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import HoldReason, Priority, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

OUT = "/tmp/screens/"


def log_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")


def shot(page, path, name):
    page.goto(page.base + path)
    page.screenshot(path=OUT + name + ".png", full_page=True)


def test_screens(browser_page, cast):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    site = cast.site
    site.phone = "0571-88881234"
    site.save()
    b = LocationFactory(code="A1", name="住院楼", kind=LocationKind.BUILDING, site=site)
    f = LocationFactory(code="A1-5F", name="5楼", kind=LocationKind.FLOOR, site=site, parent=b)
    room = LocationFactory(code="A1-5F-512", name="512病房", kind=LocationKind.ROOM, site=site, parent=f)
    room2 = LocationFactory(code="A1-5F-514", name="514病房", kind=LocationKind.ROOM, site=site, parent=f)
    groups = {}
    for code, name, icon in (("WX", "维修", "tools"), ("BJ", "保洁", "stars"), ("YS", "运送", "truck")):
        groups[code] = ServiceCategoryFactory(code=code, name=name, name_en=name, icon=icon, sort_order=len(groups))
    cats = {}
    for code, g, name, icon in (
        ("WX-DQ", "WX", "电气", "lightning-charge"),
        ("WX-GPS", "WX", "给排水", "droplet"),
        ("WX-NT", "WX", "暖通空调", "thermometer-half"),
        ("WX-DT", "WX", "电梯", "arrow-down-up"),
        ("WX-MC", "WX", "门窗木工", "door-open"),
        ("BJ-LS", "BJ", "临时保洁", "bucket"),
        ("BJ-ZM", "BJ", "终末消毒", "shield-plus"),
        ("YS-BR", "YS", "病人", "person-wheelchair"),
        ("YS-BB", "YS", "标本", "eyedropper"),
    ):
        cats[code] = ServiceCategoryFactory(code=code, name=name, parent=groups[g], icon=icon, requires_location=True)
    ServiceCategoryFactory(code="YQ", name="医用气体/氧气", icon="wind")
    ServiceCategoryFactory(code="TS", name="投诉建议", icon="chat-square-text", is_complaint=True)
    worker = cast.worker.person
    worker.team = TeamFactory(company=cast.hospital, name="电工班")
    worker.on_duty = True
    worker.save()

    def order(cat, desc, loc=room, priority=Priority.NORMAL, requester=cast.department_user):
        o = services.create_work_order(
            category=cats[cat],
            description=desc,
            by=requester,
            location=loc,
            department=cast.dept,
            requester_user=requester,
            requester_name="王护士",
            requester_phone="13900000001",
            priority=priority,
        )
        return services.dispatch(o, by=cast.agent, assignee=worker)

    a = order("WX-DQ", "床头灯不亮，病人晚上需要用灯，请尽快处理", priority=Priority.URGENT)
    b2 = order("WX-GPS", "卫生间水龙头一直滴水", loc=room2)
    c = order("WX-NT", "空调不制冷")
    services.hold(c, by=cast.worker, reason=HoldReason.PARTS, note="等压缩机电容")
    late = order("WX-MC", "柜门脱落")
    WorkOrder.objects.filter(pk=late.pk).update(
        created=timezone.now() - datetime.timedelta(hours=30),
        completion_due=timezone.now() - datetime.timedelta(hours=6),
        arrival_due=timezone.now() - datetime.timedelta(hours=28),
    )
    inprog = services.start(order("WX-DQ", "插座没电"), by=cast.worker)
    done = services.complete(
        services.start(order("WX-DQ", "开关损坏"), by=cast.worker),
        by=cast.worker,
        note="更换开关面板",
        labor_minutes=20,
    )

    log_in(page, "worker")
    shot(page, "/servicedesk/m/", "w1_jobs")
    shot(page, f"/servicedesk/m/jobs/{a.pk}/", "w2_job_dispatched")
    page.click("details.hq-fold summary >> nth=0")
    page.fill("#id_start-scanned", room2.label_code)
    page.click("form[action$='/start/'] details button")
    page.screenshot(path=OUT + "w3_job_scan_error.png", full_page=True)
    shot(page, f"/servicedesk/m/jobs/{inprog.pk}/", "w4_job_in_progress")
    shot(page, f"/servicedesk/m/jobs/{c.pk}/", "w5_job_on_hold")
    shot(page, f"/servicedesk/m/scan/?code=http://x/q/{room.label_code}", "w6_scan")
    shot(page, "/servicedesk/m/me/", "w7_me")
    page.click("form#duty button")
    page.wait_for_timeout(500)
    page.screenshot(path=OUT + "w8_me_toggled.png", full_page=True)
    page.goto(page.base + "/servicedesk/m/me/")
    page.click("form[action$='/accounts/logout/'] button")

    # anonymous
    shot(page, f"/q/{room.label_code.lower()}", "p1_label")
    page.click("a.btn-lg")
    page.wait_for_load_state()
    page.screenshot(path=OUT + "p2_report_public.png", full_page=True)
    page.click("label[for='category-%d']" % cats["WX-DQ"].pk)
    page.fill("#id_description", "走廊灯不亮")
    page.click("button.hq-big")
    page.wait_for_load_state()
    page.screenshot(path=OUT + "p3_report_public_errors.png", full_page=True)
    page.fill("#id_phone", "13912345678")
    page.click("button.hq-big")
    page.wait_for_load_state()
    page.screenshot(path=OUT + "p4_track.png", full_page=True)

    log_in(page, "nurse")
    shot(page, "/servicedesk/portal/report/", "p5_report_logged_in")
    shot(page, "/servicedesk/portal/report/?kind=complaint", "p6_complaint")
    shot(page, "/servicedesk/portal/", "p7_requests")
    shot(page, f"/servicedesk/portal/requests/{done.pk}/", "p8_request_completed")
    shot(page, f"/servicedesk/portal/requests/{a.pk}/", "p9_request_open")
