"""Files shaped like real exports, written by the tests themselves (XLSX through openpyxl).

Each builder writes one file and returns what a person counting by hand expects: rows that load
and rows quarantined, by reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

# 问卷星's "按序号下载答卷" layout: answer metadata, then one column per question, headed by the question.
WJX_HEADER = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您的客户编号",
              "2、您本次联系我们的渠道", "3、您向朋友推荐我们的可能性有多大？", "4、您对本次服务的满意程度",
              "5、您对我们还有什么意见或建议？"]
# The organisation's contract extension for that export: the form plus two question regexes.
WJX_CONTRACT = """\
columns:
  survey_id: {aliases: ["序号", "答卷编号"]}
  customer_id: {aliases: ["/客户编号/"]}
  channel: {aliases: ["/联系我们的渠道/"]}
  nps: {aliases: ["/推荐.*可能性/"]}
  comment: {aliases: ["/意见|建议|评价/"]}
"""
CANONICAL_HEADER = "survey_id,customer_id,interaction_id,channel,submitted_at,nps,csat,comment"


def write_wjx_xlsx(path: Path) -> dict[str, int]:
    """Five responses: serial dates as date cells and zh-CN text, 非常满意 and full-width digits,
    and one customer ID stored as a number cell that Excel rounded (an 18-digit ID card number)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("答卷数据")
    sheet.append(WJX_HEADER)
    meta = ["120秒", "手机提交", "直接访问", "1.2.3.4"]
    sheet.append([10001, datetime(2026, 8, 1, 9, 5), *meta, "C001", "微信", 9, "非常满意", "客服很耐心，问题解决了"])
    sheet.append([10002, "2026年8月1日 10时05分", *meta, "C002", "电话", "９", 4, "网速太慢了"])
    sheet.append([10003, "2026/8/1 9:05", *meta, "C003", "营业厅", 3, 2, "排队排了一个小时"])
    sheet.append([10004, "2026/8/1", *meta, 13800138000, "APP", 7, None, None])
    sheet.append([10005, datetime(2026, 8, 1, 12, 0), *meta, 110101199003071234, "官网", 10, 5, "很好"])
    book.save(path)
    return {"loaded": 4, "damaged_id": 1}


def write_excel_gb18030_csv(path: Path) -> dict[str, int]:
    """Excel (zh-CN Windows) "CSV": GB18030, CRLF, Chinese headers, zh-CN dates, damaged IDs."""
    rows = [
        "问卷编号,客户编号,服务单号,渠道,提交时间,推荐度,满意度,意见",
        "G1,C101,,电话,2026/8/1 9:05,10,5,很满意",
        "G2,1.39E+10,,微信,2026年8月1日 10:00,6,3,一般般",
        "G3,1.39E+10,,微信,2026/8/1,8,4,还行吧",
        "13800138000.0,C104,,短信,2026/8/1 11:00,2,1,太差了",
        "G5,C105,,官网,2026年8月1日 10时05分,9,5,好评",
    ]
    path.write_bytes("\r\n".join(rows).encode("gb18030") + b"\r\n")
    return {"loaded": 2, "damaged_id": 3}


def write_cr_only_csv(path: Path) -> dict[str, int]:
    """Excel for Mac: CR-only line endings; a quoted comment spans two lines."""
    rows = [CANONICAL_HEADER, "M1,C201,,app,2026-08-01 08:00:00,9,5,不错",
            'M2,C202,,web,2026-08-01 08:30:00,4,2,"网页打不开\r刷新也没用"', "M3,C203,,chat,2026-08-01 09:00:00,8,,"]
    path.write_bytes("\r".join(rows).encode("utf-8") + b"\r")
    return {"loaded": 3}


def write_utf16_tsv(path: Path) -> dict[str, int]:
    """Excel's "Unicode text" export: UTF-16 LE with BOM, tab-separated, CRLF, saved as .txt."""
    rows = [CANONICAL_HEADER.replace(",", "\t"), "U1\tC301\t\t在线客服\t2026/8/1 13:00\t10\t5\t客服小王很专业",
            "U2\tC302\t\t热线\t2026/8/1 14:00\t0\t1\t投诉无门，我要打12315", "U3\tC303\t\t门店\t2026/8/1\t7\t3\t"]
    path.write_bytes("\ufeff".encode("utf-16-le") + "\r\n".join(rows).encode("utf-16-le") + "\r\n".encode("utf-16-le"))
    return {"loaded": 3}


def write_cumulative_exports(landing: Path, days: list[str]) -> dict[str, int]:
    """A survey tool's "all responses to date", dropped daily; R1's NPS is corrected on the last day.
    Returns the NPS each response must end with."""
    responses = {"R1": 3, "R2": 8, "R3": 10, "R4": 6}
    final = {}
    for number, day in enumerate(days, start=1):
        folder = landing / "surveys" / day
        folder.mkdir(parents=True, exist_ok=True)
        lines = [CANONICAL_HEADER]
        for index, (survey_id, nps) in enumerate(list(responses.items())[: number + 1]):
            if survey_id == "R1" and number == len(days):
                nps = 9  # the correction
            final[survey_id] = nps
            lines.append(f"{survey_id},C4{index},,app,2026-08-0{max(1, index)} 10:00:00,{nps},,回访记录{index}")
        (folder / "all_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return final


def calls_as_json_array(calls: list[dict]) -> bytes:
    """A call-centre platform's export: one pretty-printed JSON array."""
    return json.dumps(calls, ensure_ascii=False, indent=2).encode("utf-8")
