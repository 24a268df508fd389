/* Fuzz target for orders files: counts, reject lines and reasons, every accepted order in the book.
 * The input is the body of one to three files (split at lines "--"). */
#include "fuzz_kinds.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(orders)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(orders)(const uint8_t *data, size_t size)
{
    return fz_fuzz_kind(BR_KIND_ORDERS, data, size);
}
