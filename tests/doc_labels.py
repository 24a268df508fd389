"""The labels billrun prints, in its three languages (lib/invoice/lang.h),
for the checkers that read workbooks (xlsx_check.py, lo_totals.py): a
label matches in English ("Total"), Chinese ("合计") or both ("合计 Total")."""
import re

ZH = {
    "Invoice": "账单",
    "Invoice (draft)": "账单（草稿）",
    "Invoice number": "账单号码",
    "Item": "项目",
    "Total": "合计",
    "Debit notes": "借项通知单",
    "Round-down discount": "抹零优惠",
    "Amount due": "应付金额",
    "Note": "说明",
    "Note number": "通知单号码",
    "Seller": "销售方",
    "Corrects invoice": "更正账单",
    "Listed on invoice": "列示于账单",
    "Reason": "原因",
    "Effect": "影响",
    "Amount": "金额",
}

# The number formats of lang.h's display rules.
EXACT_FMT = "#,##0.00######"
TOTAL_FMT = "#,##0.00"
E8_FMT = "#,##0.00000000"
DUE_FMTS = ("#,##0.00", "¥#,##0.00")
AMOUNT_FMT_RE = re.compile(r"^¥?#,##0\.00(######|000000)?$")


def is_label(value, en):
    """value is the label en in one of the languages."""
    if not isinstance(value, str):
        return False
    zh = ZH.get(en)
    return value == en or (zh is not None and value in (zh, f"{zh} {en}"))


def starts_label(value, en):
    """value starts with the label en in one of the languages."""
    if not isinstance(value, str):
        return False
    zh = ZH.get(en)
    return value.startswith(en) or (zh is not None and value.startswith(zh))
