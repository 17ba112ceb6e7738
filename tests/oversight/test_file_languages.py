"""Downloaded files speak the request's language, as the pages do: the monthly report (XLSX,
PDF and the JSON's labels), the hazard ledger and the expiry alerts. Chinese by default, and
then every heading as it was; in English no fixed Chinese text is left, only stored names."""
from __future__ import annotations

import datetime as dt
import io
import re

import pypdfium2
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.models import Organisation, User
from app.delivery.models import Customer, DeliveryArea, Hazard
from app.extensions import db
from app.traceability.models import Cylinder
from tests.conftest import TODAY
from tests.delivery.conftest import make_fleet
from tests.oversight.test_due import _cyl
from tests.oversight.test_reports import _district, _month

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
REPORT = "/api/v1/reports/monthly?month={}"
ZH_SHEETS = {  # the Chinese report's sheets and header rows, as they were before English
    "概要": ["项目", "内容"], "充装": ["充装单位", "充装次数", "超装次数"],
    "拒绝充装（按原因）": ["原因代码", "原因", "次数"],
    "异常标记": ["类型", "代码", "新增", "已解决"],
    "黑气瓶查处": ["环节", "数量"], "检验": ["项目", "合格", "不合格"],
    "配送与随瓶安检": ["项目", "数量"], "隐患排查整治": ["项目", "数量"],
    "链头摘要": ["涵盖此时刻前收到的记录", "气瓶数", "记录数", "摘要"]}  # the district's only
EN_SHEETS = {
    "Overview": ["Item", "Content"], "Filling": ["Filling unit", "Fills", "Overfills"],
    "Refused fills (by reason)": ["Reason code", "Reason", "Times"],
    "Flags": ["Kind", "Kind code", "Raised", "Resolved"],
    "Black cylinders dealt with": ["Step", "Number"],
    "Inspections": ["Item", "Passed", "Failed"],
    "Deliveries and safety checks": ["Item", "Number"],
    "Hazard checks and rectification": ["Item", "Number"],
    "Chain digest": ["Covers records received before", "Cylinders", "Events", "Digest"]}
LEDGER_ZH = ("序号", "隐患编号", "发现时间", "所属区域", "用户名称", "用户类型", "用户地址",
             "隐患项目", "隐患等级", "发现人", "整改期限", "责任人", "整改状态", "是否逾期",
             "整改时间", "整改情况", "复核人", "复核时间")
LEDGER_EN = ("No.", "Hazard no.", "Found at", "Area", "Customer name", "Customer type",
             "Customer address", "Hazard item", "Hazard severity", "Found by", "Deadline",
             "Responsible person", "Rectification status", "Overdue?", "Rectified at",
             "Rectification", "Verified by", "Verified at")
DUE_ZH = ("序号", "气瓶编码", "出厂编号", "型号", "制造单位", "产权单位", "使用登记证号",
          "下次检验日期", "设计使用年限到期", "提醒类别", "剩余天数")
DUE_EN = ("No.", "Cylinder code", "Serial number", "Model", "Manufacturer", "Owner",
          "Registration number", "Next inspection due", "Design service life ends", "Alert",
          "Days left")


def _stored_names() -> list[str]:
    """Every name, address and person the files may print as stored, longest first."""
    db.session.rollback()
    columns = (Organisation.name, DeliveryArea.name, Customer.name, Customer.address,
               User.display_name, User.name, Cylinder.manufacturer, Hazard.responsible_person,
               Hazard.evidence)
    names = {v for c in columns for v in db.session.scalars(select(c)) if v}
    return sorted(names, key=len, reverse=True)


def _leftover_chinese(texts: list[str]) -> list[str]:
    """The texts that still hold Chinese once the stored names are taken out."""
    names = _stored_names()
    left = []
    for text in texts:
        for name in names:
            text = text.replace(name, "")
        if CJK.search(text):
            left.append(text)
    return left


def _cells(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [*book.sheetnames, *(str(v) for sheet in book.worksheets
                                for row in sheet.iter_rows(values_only=True)
                                for v in row if v is not None)]


def _pdf_text(data: bytes) -> str:
    doc = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _headers(data: bytes, row: int = 1) -> dict[str, list]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [c.value for c in sheet[row]] for sheet in book.worksheets}


def _report_world(api, registry, world, events) -> int:
    """The reports' month of work, and a hazard in the company's delivery area."""
    _district(api, registry, world, events)
    fleet = make_fleet(api, world, registry)
    fleet.customer("diner", "restaurant")
    assert fleet.check("diner", tee_connection="fail").status_code == 201
    return fleet.ids["area"]


def test_monthly_report_in_english(api, registry, world, events):
    area = _report_world(api, registry, world, events)
    url = REPORT.format(_month()) + "&lang=en"
    xlsx = api.get(url + "&format=xlsx", world.regulator)
    assert xlsx.status_code == 200
    assert _headers(xlsx.data) == EN_SHEETS
    cells = _cells(xlsx.data)
    assert {"Report month", "Reporting scope", "Whole district", "Seizure", "Deliveries",
            "Black cylinder", "Overdue, not rectified"} <= set(cells)
    assert "第一充装站" in cells  # names as stored
    assert _leftover_chinese(cells) == []

    for query in ("", f"&area_id={area}"):  # an area's report has the notes in place of rows
        pdf = api.get(url + query + "&format=pdf", world.regulator)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = _pdf_text(pdf.data)
        assert f"monthly progress report ({_month()})" in text
        assert "Deliveries and safety checks" in text and "Hazard checks and rectification" in text
        assert _leftover_chinese(text.splitlines()) == []
    assert "Not counted in a delivery area's report" in text and "莲池燃气公司 · 东关片区" in text
    whole = _pdf_text(api.get(url + "&format=pdf", world.regulator).data)
    assert "第一充装站" in whole and "Filling unit" in whole  # the CJK font prints both

    en = api.get(url, world.regulator).json
    zh = api.get(REPORT.format(_month()), world.regulator).json
    assert [s["title"] for s in en["sections"]] == list(EN_SHEETS)[1:]
    assert [s["title"] for s in zh["sections"]] == list(ZH_SHEETS)[1:]
    # the JSON's keys, totals, codes and counts stay; only its labels follow the language
    assert (en["totals"], en["org_id"], en["area_id"]) == (zh["totals"], zh["org_id"],
                                                          zh["area_id"])
    assert [s["key"] for s in en["sections"]] == [s["key"] for s in zh["sections"]]
    flags_en, flags_zh = (next(s for s in r["sections"] if s["key"] == "flags") for r in (en, zh))
    assert [r[1:] for r in flags_en["rows"]] == [r[1:] for r in flags_zh["rows"]]
    assert (en["scope"], zh["scope"]) == ("Whole district", "全区")


def test_monthly_report_in_chinese_by_default(api, registry, world, events):
    _report_world(api, registry, world, events)
    url = REPORT.format(_month())
    assert _headers(api.get(url + "&format=xlsx", world.regulator).data) == ZH_SHEETS
    text = _pdf_text(api.get(url + "&format=pdf", world.regulator).data)
    for line in (f"瓶装液化石油气“一瓶一码”月度工作进展报告（{_month()}）", "报送范围：全区",
                 "依据：莲池区城乡燃气安全专项整治工作方案 五(三)，每月20日前报送。",
                 "充装单位", "原因代码", "已解决", "查封扣押", "发现黑气瓶（标记）", "定期检验",
                 "安全评估（延长使用年限）", "未随瓶安检", "超区域配送", "逾期未整改",
                 *list(ZH_SHEETS)[1:]):  # the sections' titles; 概要 is the workbook's cover
        assert line in text, line
    for words in ("report", "Scope", "Basis", "Filling", "Reason", "Kind", "Seizure", "Item",
                  "Number", "Deliveries", "Hazard"):
        assert words not in text, words


def test_the_hazard_ledger_in_either_language(api, registry, world, ctx):
    fleet = make_fleet(api, world, registry)
    fleet.customer("diner", "restaurant")
    assert fleet.check("diner", tee_connection="fail", hose_over_2m="fail").status_code == 201
    zh = api.get("/api/v1/hazards.xlsx", world.company_admin)
    assert _headers(zh.data, row=3)["隐患台账"] == list(LEDGER_ZH)
    assert _headers(zh.data)["汇总"] == ["统计项", "分类", "数量"]
    assert {"瓶装液化石油气用户安全隐患台账", "私接三通", "重大隐患", "未整改", "否",
            "餐饮企业", "按隐患项目"} <= set(_cells(zh.data))

    en = api.get("/api/v1/hazards.xlsx?lang=en", world.company_admin)
    assert en.status_code == 200
    assert _headers(en.data, row=3)["Hazard ledger"] == list(LEDGER_EN)
    assert _headers(en.data)["Totals"] == ["Measure", "Category", "Number"]
    cells = _cells(en.data)
    assert {"LPG customers' safety hazard ledger", "Private tee connection", "Major", "Open",
            "No", "Restaurant", "By hazard item", "2 entries"} <= set(cells)
    assert "用户diner" in cells and "东关片区" in cells
    assert _leftover_chinese(cells) == []
    items = api.get("/api/v1/hazards?lang=en", world.company_admin).json["hazards"]
    assert {h["item_label"] for h in items} == {"Private tee connection", "Hose longer than 2 m"}


def test_an_overdue_hazard_is_marked_in_either_language(api, registry, world, browser, ctx):
    """The page marked overdue rows by the workbook's Chinese 是; it reads a flag now."""
    fleet = make_fleet(api, world, registry)
    fleet.customer("diner", "restaurant")
    assert fleet.check("diner", tee_connection="fail").status_code == 201
    hazard = db.session.scalars(select(Hazard)).one()
    hazard.deadline = TODAY - dt.timedelta(days=1)
    db.session.commit()
    c = browser.as_user(world.company_admin.id)
    for lang, yes in (("zh_CN", "是"), ("en", "Yes")):
        page = c.get(f"/company/hazards?lang={lang}").get_data(as_text=True)
        assert page.count('class="badge badge-bad"') == 1, lang
        sheet = load_workbook(io.BytesIO(c.get(f"/api/v1/hazards.xlsx?lang={lang}").data)).active
        assert sheet.cell(row=4, column=14).value == yes


def test_the_expiry_alerts_in_either_language(api, registry, world, ctx):
    for due_in, ends_in in ((-1, 2000), (10, 2000), (300, -5), (200, 20)):  # the four kinds
        _cyl(registry, due_in, ends_in)
    url = "/api/v1/cylinders/due.xlsx?within_days=30"
    zh = api.get(url, world.company_admin)
    assert _headers(zh.data, row=3)["到期提醒"] == list(DUE_ZH)
    assert {"气瓶定期检验及报废到期提醒", "超期未检", "即将到检", "超过设计使用年限",
            "即将到达设计使用年限", "共 4 条", "汇总"} <= set(_cells(zh.data))

    en = api.get(url + "&lang=en", world.regulator)
    assert _headers(en.data, row=3)["Expiry alerts"] == list(DUE_EN)
    cells = _cells(en.data)
    assert {"Cylinder periodic inspection and scrapping due alerts", "Inspection overdue",
            "Inspection due soon", "Beyond design service life",
            "Design service life ending soon", "Owner: All gas companies", "4 entries",
            "Totals"} <= set(cells)
    assert "百工容器" in cells  # the manufacturer as stamped
    assert _leftover_chinese(cells) == []
    assert "Alert window: 30 days" in cells
    one = _cells(api.get(url.replace("30", "1") + "&lang=en", world.regulator).data)
    assert "Alert window: 1 day" in one  # not "1 days"
    assert "提醒期限：30 天" in _cells(zh.data)


def test_the_language_comes_from_where_the_pages_get_it(api, registry, world, browser, ctx):
    """The session's choice (the header's switch), then ?lang= over it; Accept-Language is not
    read by the pages, so not by the files either."""
    make_fleet(api, world, registry)
    _cyl(registry, 10)
    month = "2026-06"
    c = browser.as_user(world.company_admin.id)
    asked = {"headers": {"Accept-Language": "en-GB,en;q=0.9"}}
    page = c.get(f"/oversight/reports?month={month}", **asked).get_data(as_text=True)
    assert "<h2>充装</h2>" in page
    assert "充装" in _headers(c.get(f"/oversight/reports?month={month}&format=xlsx",
                                    **asked).data)

    assert c.post("/lang/en", data={"next": "/"}).status_code == 302
    page = c.get(f"/oversight/reports?month={month}").get_data(as_text=True)
    assert "<h2>Filling</h2>" in page and 'data-testid="xlsx"' in page
    link = re.search(r'href="([^"]+)" data-testid="pdf"', page).group(1).replace("&amp;", "&")
    assert "lang" not in link  # the link is the same; the session carries the language
    text = _pdf_text(c.get(link).data)
    assert "Deliveries and safety checks" in text and _leftover_chinese(text.splitlines()) == []
    assert "Filling" in _headers(c.get(link.replace("format=pdf", "format=xlsx")).data)
    assert c.get(f"/api/v1/reports/monthly?month={month}").json["sections"][0]["title"] == "Filling"
    assert "Hazard ledger" in _headers(c.get("/api/v1/hazards.xlsx").data)
    assert "Expiry alerts" in _headers(c.get("/api/v1/cylinders/due.xlsx").data)
    back = c.get(f"/oversight/reports?month={month}&format=xlsx&lang=zh_CN")
    assert _headers(back.data) == {k: v for k, v in ZH_SHEETS.items() if k != "链头摘要"}


def test_the_cli_writes_either_language(app, registry, world, events, tmp_path, api):
    _district(api, registry, world, events)
    runner = app.test_cli_runner()
    for lang, first in (("en", "Overview"), (None, "概要")):
        out = tmp_path / (lang or "default")
        args = ["report", "monthly", "--month", _month(), "--out", str(out), "--format", "xlsx"]
        result = runner.invoke(args=args + (["--lang", lang] if lang else []))
        assert result.exit_code == 0, result.output
        data = (out / f"monthly-report-{_month()}.xlsx").read_bytes()
        assert next(iter(_headers(data))) == first
    assert runner.invoke(args=["report", "monthly", "--month", _month(),
                               "--lang", "fr"]).exit_code != 0
