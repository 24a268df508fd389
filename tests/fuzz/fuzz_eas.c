/* Fuzz target for eas files: every record's reason against a reference validator, and each accepted
 * row's id, account, time and gpu_ms or running seconds. The input is the body of one to three
 * files (split at lines "--"). */
#include "fuzz_kinds.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(eas)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(eas)(const uint8_t *data, size_t size)
{
    return fz_fuzz_kind(BR_KIND_EAS, data, size);
}
