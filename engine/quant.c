/* quant.c — placeholder until the kernel work of issue #2 lands. */
#include <stddef.h>
#include "slm.h"

const char *slm_simd_path(void) { return "scalar"; }
const char *slm_type_name(int type)
{
    (void)type;
    return NULL;
}
