/* Fuzz target for accounts files: reasons in formats.md's order, and the book holding each
 * account's last accepted row. The input is the body of one to three files (split at lines "--").
 */
#include "fuzz_kinds.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(accounts)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(accounts)(const uint8_t *data, size_t size)
{
    return fz_fuzz_kind(BR_KIND_ACCOUNTS, data, size);
}
