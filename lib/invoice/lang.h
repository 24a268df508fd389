/* The languages of the documents (issue #20 part 5): every label an
 * invoice, a note or a summary prints, in Chinese, in English, or both
 * (Chinese first, as bilingual documents in China are laid out); dates and
 * amounts as Chinese accountants write them (2026年11月30日, ¥1,234.56);
 * and how an amount is shown, one rule for the workbooks and the PDFs
 * (issue #20 part 6):
 *
 *   exact   an amount of one thing (a line, a note, a plan, a day, one
 *           invoice in the summary): its exact value, at least 2 decimals
 *           and up to the 8 of an e8 amount ("#,##0.00######");
 *   total   a total: 2 decimals ("#,##0.00"), the cell keeping the exact
 *           value;
 *   e8      an amount that explains a round-down (the outstanding total,
 *           the debit notes, the round-down discount): all 8 decimals
 *           ("#,##0.00000000"), so that outstanding + debits - round-down
 *           = amount due reads digit by digit;
 *   due     the amount due, whole fen: 2 decimals.
 *
 * Strings returned here are static; nothing is allocated. */
#ifndef BR_LANG_H
#define BR_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 is English: a document struct left zeroed prints as before languages
 * existed (and as periods closed before them were printed). */
enum br_lang { BR_LANG_EN = 0, BR_LANG_ZH = 1, BR_LANG_ZH_EN = 2 };
#define BR_LANG_DEFAULT BR_LANG_ZH_EN

/* "zh", "en" or "zh-en"; false for anything else. */
bool br_lang_parse(const char *s, enum br_lang *out);
const char *br_lang_name(enum br_lang lang);

/* X(NAME, Chinese, English). Order does not matter; names are stable. */
#define BR_LABELS(X)                                                                                                        \
    X(INVOICE, "账单", "Invoice")                                                                                           \
    X(INVOICE_DRAFT, "账单（草稿）", "Invoice (draft)")                                                                     \
    X(INVOICE_NO, "账单号码", "Invoice number")                                                                             \
    X(DRAFT_NO, "（草稿：结账时编号）", "(draft: numbered at close)")                                                       \
    X(DRAFT, "草稿", "DRAFT")                                                                                               \
    X(DRAFT_MARK, "草稿：结账编号后才是账单", "DRAFT: not an invoice until numbered at close")                              \
    X(ISSUE_DATE, "开具日期", "Issue date")                                                                                 \
    X(PERIOD, "账期", "Period")                                                                                             \
    X(CURRENCY, "币种", "Currency")                                                                                         \
    X(SELLER, "销售方", "Seller")                                                                                           \
    X(BILL_TO, "购买方", "Bill to")                                                                                         \
    X(CUSTOMER, "客户", "Customer")                                                                                         \
    X(NAME, "名称", "Name")                                                                                                 \
    X(ADDRESS, "地址", "Address")                                                                                           \
    X(TAX_ID, "纳税人识别号", "Tax ID")                                                                                     \
    X(BANK, "开户行", "Bank")                                                                                               \
    X(BANK_ACCOUNT, "银行账号", "Bank account")                                                                             \
    X(PHONE, "电话", "Phone")                                                                                               \
    X(ACCOUNT_ID, "客户编号", "Account ID")                                                                                 \
    X(EMAIL, "电子邮箱", "Email")                                                                                           \
    X(DATES_IN, "日期时区", "Dates in")                                                                                     \
    X(ITEM, "项目", "Item")                                                                                                 \
    X(QUANTITY, "数量", "Quantity")                                                                                         \
    X(UNIT, "单位", "Unit")                                                                                                 \
    X(UNIT_PRICE, "单价", "Unit price")                                                                                     \
    X(GROSS, "原价金额", "Gross")                                                                                           \
    X(FREE, "免费额度", "Free allowance")                                                                                   \
    X(PLAN, "资源包抵扣", "Plan deduction")                                                                                 \
    X(COUPON, "优惠券抵扣", "Coupon deduction")                                                                             \
    X(BALANCE, "余额抵扣", "Balance deduction")                                                                             \
    X(OUTSTANDING, "待支付", "Outstanding")                                                                                 \
    X(TOTAL, "合计", "Total")                                                                                               \
    X(DEBIT_NOTES, "借项通知单", "Debit notes")                                                                             \
    X(ROUND_DOWN, "抹零优惠", "Round-down discount")                                                                        \
    X(AMOUNT_DUE, "应付金额", "Amount due")                                                                                 \
    X(AMOUNT_WORDS, "金额（大写）", "Amount due in words")                                                                  \
    X(NOTES_OF_PERIOD, "本期贷项及借项通知单", "Credit and debit notes of the period")                                      \
    X(NOTE_NO, "通知单号码", "Note number")                                                                                 \
    X(KIND, "类型", "Kind")                                                                                                 \
    X(DATE, "日期", "Date")                                                                                                 \
    X(AMOUNT, "金额", "Amount")                                                                                             \
    X(CORRECTS, "更正账单", "Corrects invoice")                                                                             \
    X(REASON, "原因", "Reason")                                                                                             \
    X(CREDIT, "贷项", "credit")                                                                                             \
    X(DEBIT, "借项", "debit")                                                                                               \
    X(CREDITS_TO_BALANCE, "贷项金额，已计入预付余额", "Credits, added to the prepaid balance")                              \
    X(DEBITS_IN_DUE, "借项金额，已计入应付金额", "Debits, included in the amount due")                                      \
    X(CREDIT_NOTE, "贷项通知单", "Credit note")                                                                             \
    X(DEBIT_NOTE, "借项通知单", "Debit note")                                                                               \
    X(ADJUSTMENT_ID, "调整编号", "Adjustment ID")                                                                           \
    X(LISTED_ON, "列示于账单", "Listed on invoice")                                                                         \
    X(NO_INVOICE, "（未指明账单）", "(no invoice named)")                                                                   \
    X(EFFECT, "影响", "Effect")                                                                                             \
    X(EFFECT_CREDIT, "计入客户预付余额，用于支付以后的用量；不退款，也不减少任何账单的应付金额",                            \
      "Credited to the customer's prepaid balance; it pays later usage, it is not paid out and "                            \
      "does not reduce the amount due of an invoice")                                                                       \
    X(EFFECT_DEBIT, "由客户支付：计入列示该通知单的账单的应付金额",                                                         \
      "Owed by the customer: included in the amount due of the invoice it is listed on")                                    \
    X(POSTED_LATE, "延迟入账", "Posted late")                                                                               \
    X(POSTED_LATE_WHY, "其日期所在账期已结账：计入本期",                                                                    \
      "its date lies in a period already closed: posted in this period")                                                    \
    X(DECIMALS_NOTE, "说明", "Note")                                                                                        \
    X(DECIMALS_WHY,                                                                                                         \
      "各行金额按用量精确计价，保留至0.00000001元，因此可能多于两位小数；合计按精确金额" \
      "相加，应付金额向下抹零至分，差额即抹零优惠。",                                                                       \
      "Lines are priced exactly from the usage, to 0.00000001 CNY, so they may show more than "                             \
      "two decimals; totals add the exact amounts, and the amount due is rounded down to the "                              \
      "fen, the difference being the round-down discount.")                                                                 \
    X(PAGE, "第 %d 页 共 %d 页", "Page %d of %d")                                                                           \
    X(DAILY_CHART, "每日用量（原价金额）", "Daily usage (gross)")                                                           \
    X(DAY, "日期", "Day")                                                                                                   \
    X(CHART_DATA, "按项目及日期的原价金额（图表数据）", "Gross by item and day (chart data)")                               \
    X(REVENUE_CHART, "每日收入（按项目）", "Revenue by item per day")                                                       \
    X(WATERFALL_CHART, "本月支付构成：原价至待支付",                                                                        \
      "The month's waterfall: gross to outstanding")                                                                        \
    X(REVENUE_DATA, "每日收入（按收入科目，图表数据）",                                                                     \
      "Revenue per day by revenue account (chart data)")                                                                    \
    X(REVENUE_NOTE,                                                                                                         \
      "收入=收入科目贷方减借方，按分录生效时间所在日期；不在本月的分录计入本月首日或末日。",                                \
      "Revenue = credits less debits of the revenue accounts, by the local day of each entry's "                            \
      "own time; entries whose time lies outside the month count on its first or last day.")                                \
    X(WATERFALL_DATA, "支付构成（图表数据）", "Waterfall (chart data)")                                                     \
    X(YES, "是", "yes")                                                                                                     \
    X(NO, "否", "no")                                                                                                       \
    X(STEP, "步骤", "Step")                                                                                                 \
    X(BASE, "基数", "Base")

enum br_label {
#define BR_LABEL_ENUM(name, zh, en) BR_L_##name,
    BR_LABELS(BR_LABEL_ENUM)
#undef BR_LABEL_ENUM
        BR_L_COUNT
};

/* The label in lang: Chinese, English, or "Chinese English". */
const char *br_label(enum br_lang lang, enum br_label l);

/* An e8 amount as text with thousands separators and the decimals of a
 * display rule (above), half away from zero where it shows fewer than 8
 * (as a spreadsheet shows a number); with yen, "¥" before the digits (and
 * after a minus sign: -¥1,234.56). Returns the length; out >= 48 bytes. */
enum br_amount_rule { BR_AMOUNT_EXACT, BR_AMOUNT_TOTAL, BR_AMOUNT_E8, BR_AMOUNT_DUE };
size_t br_amount_text(int64_t e8, enum br_amount_rule rule, bool yen, char *out, size_t size);

/* Amounts in the currency's own sign: Chinese documents write ¥. */
bool br_lang_yen(enum br_lang lang);

/* A local day number as a date: 2026年11月30日 (zh, zh-en) or 2026-11-30
 * (en). out >= 32 bytes. */
void br_date_text(enum br_lang lang, int64_t day, char *out, size_t size);

/* A billable item as lang names it: label (the English one the document
 * carries; NULL: the known item's) for en; for zh the Chinese name of a
 * known item; for zh-en both. An unknown item, or one whose label is not
 * the known one, is shown as label (else its code) in every language. */
const char *br_item_text(enum br_lang lang, const char *item, const char *label);

/* The spreadsheet number formats of a date and a date-time in lang. */
const char *br_date_format(enum br_lang lang);
const char *br_datetime_format(enum br_lang lang);

#endif
