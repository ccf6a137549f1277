/*
 * runner_internal.h — pieces shared by runner.c and runner_item.c only.
 */
#ifndef RUNNER_INTERNAL_H
#define RUNNER_INTERNAL_H

#include "harness/backend.h"
#include "harness/runner.h"
#include "tasks/task.h"

/* "f1" (qa), "rougeL" (summarization), "passed" (code), NULL for an empty suite. */
const char *runner_primary_score(const task_suite *suite);
/* One generation; *out is the ITEM object (NULL when interrupted). out == NULL: warm-up, not recorded. */
int runner_measure_item(backend *b, runner_probes *probes, const task_suite *suite, const task_item *item,
                        int rep, const runner_options *o, cJSON **out, char *err, size_t err_size);
/* o->warmup unrecorded generations of item. */
int runner_warmup(backend *b, runner_probes *probes, const task_suite *suite, const task_item *item,
                  const runner_options *o, char *err, size_t err_size);

#endif
