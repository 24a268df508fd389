/* Fuzz target for oss files: every record's reason against a reference validator, and each accepted
 * row's id, account, hour and value. The input is the body of one to three files (split at lines
 * "--"). */
#include "fuzz_kinds.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(oss)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(oss)(const uint8_t *data, size_t size)
{
    return fz_fuzz_kind(BR_KIND_OSS, data, size);
}
