/* Exact money: e8 integers (10^-8 CNY), e10 unit prices, one half-up rounding. */
#ifndef BR_MONEY_H
#define BR_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 br_u128;
__extension__ typedef __int128 br_i128;

#define BR_E8 100000000LL         /* e8 units per CNY */
#define BR_E10 10000000000LL      /* e10 units per CNY (unit prices) */
#define BR_E8_FEN 1000000LL       /* e8 units per fen (0.01 CNY) */
#define BR_PRICE_TO_E8_DIV 100ULL /* e10 -> e8 */

/* num / den rounded half up; den > 0. Sets *out; false if it exceeds INT64_MAX. */
bool br_rhu_div(br_u128 num, br_u128 den, int64_t *out);

/* Value in e8 of qty base units at price_e10 per price unit, where one price
 * unit is `divisor` base units: rhu(qty * price_e10 / (divisor * 100)).
 * False on overflow of the result (the product itself cannot overflow). */
bool br_value_e8(uint64_t qty, int64_t price_e10, uint64_t divisor, int64_t *out);

/* Base units that value_e8 buys at price_e10 (price_e10 > 0), rounded down:
 * floor(value_e8 * divisor * 100 / price_e10). Saturates at INT64_MAX. */
int64_t br_units_for_value(int64_t value_e8, int64_t price_e10, uint64_t divisor);

/* floor(a * b / c) for a, b >= 0 and c > 0, exact; saturates at INT64_MAX. */
int64_t br_muldiv_floor(int64_t a, int64_t b, int64_t c);

/* Checked addition; false on overflow (out unchanged). */
static inline bool br_add_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* Outcome of parsing a decimal field. */
enum br_num {
    BR_NUM_OK = 0,
    BR_NUM_SYNTAX, /* not -?[0-9]+(\.[0-9]+)? */
    BR_NUM_FRAC,   /* more fractional digits than the scale allows */
    BR_NUM_RANGE,  /* does not fit in 63 bits after scaling */
};

/* Parses -?[0-9]+(\.[0-9]+)? exactly into value * 10^scale (scale <= 18).
 * No exponent, no sign '+', no spaces, no thousands separators. */
enum br_num br_dec_parse(const char *s, size_t n, unsigned scale, int64_t *out);

/* Parses [0-9]+(\.[0-9]+)? (at most max_frac <= 18 fractional digits) and
 * multiplies it by mult exactly: *out = value * mult when that is a whole
 * number of at most 63 bits (BR_NUM_RANGE otherwise, also when not whole).
 * A plan's quantity to its face in base units, say, without first scaling
 * the quantity to a fixed number of decimals that 63 bits might not hold. */
enum br_num br_dec_times(const char *s, size_t n, unsigned max_frac, uint64_t mult, int64_t *out);

/* Formats an e8 amount as "-12.34567890" (always 8 decimals). buf >= 32 bytes.
 * Returns the length written. */
size_t br_e8_format(int64_t e8, char *buf, size_t size);

/* Formats value / 10^scale with exactly `decimals` digits, rounding half up
 * (|value| < 2^63). Used for display quantities. buf >= 48 bytes. */
size_t br_scaled_format(br_i128 num, br_u128 den, unsigned decimals, char *buf, size_t size);

/* Floor of an e8 amount to whole fen (0.01 CNY); amount >= 0. */
static inline int64_t br_floor_fen(int64_t e8)
{
    return e8 - e8 % BR_E8_FEN;
}

#endif
