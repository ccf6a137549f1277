/*
 * build_info.c — facts about this build, fixed at compile time by the Makefile,
 * so every result file can say exactly which code produced it.
 */
#include "harness/commands.h"

#ifndef SLM_GIT_COMMIT
#define SLM_GIT_COMMIT "unknown"
#endif
#ifndef SLM_CC
#define SLM_CC "unknown"
#endif
#ifndef SLM_CFLAGS
#define SLM_CFLAGS "unknown"
#endif

const char *build_git_commit(void) { return SLM_GIT_COMMIT; }
const char *build_compiler(void) { return SLM_CC; }
const char *build_cflags(void) { return SLM_CFLAGS; }
const char *build_version(void) { return "0.1.0"; }
