/* Chinese capital numerals for amounts (中文大写金额), as the amount due of
 * a Chinese invoice is written beside its figures. The rules: PBOC
 * 《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》 and MoF
 * 《会计基础工作规范》第五十二条. Where they allow two spellings:
 *   - a run of zeros inside the integer part, then a non-zero digit: one
 *     零, across 万 and 亿 groups too (100,005 -> 壹拾万零伍元整);
 *   - zeros at the end of the integer part: no 零, unless 角 is 0 and 分
 *     is not (1,680.32 -> 壹仟陆佰捌拾元叁角贰分; 16,409.02 -> ...零玖元零贰分);
 *   - a leading 拾 is written 壹拾 (10 -> 壹拾元整);
 *   - 整 after 元; nothing after 分; after 角, 整 with BR_CN_ZHENG_AFTER_JIAO
 *     (MoF: 应当写) and nothing without it (PBOC: 可以不写): "贰角整"
 *     satisfies both texts;
 *   - an integer part of 0 has no 元 (0.05 -> 伍分); 0 is 零元整;
 *   - a negative amount starts with 负.
 * The figures' side (¥1,234.56) is br_amount_text in lang.h. */
#ifndef BR_CNAMOUNT_H
#define BR_CNAMOUNT_H

#include <stddef.h>
#include <stdint.h>

#define BR_CN_ZHENG_AFTER_JIAO 1u /* 伍角整 rather than 伍角 */
#define BR_CN_TEXT_MAX 256        /* bytes that any amount below 10^16 CNY needs */

/* Writes fen (hundredths of a CNY, |fen| < 10^18) in capitals into out
 * (NUL-terminated). Returns 0, or -1 when out of range or out is smaller
 * than the text (out is then ""). */
int br_cn_capital(int64_t fen, unsigned flags, char *out, size_t size);

#endif
