/*
 * cmd_report.c — `slmbench report RESULTS.json [...] [-o DIR]`: report.md and
 * charts from one or more results files (several make a leaderboard).
 *
 * Exit status: 0 written, 2 bad input (unreadable or invalid results file,
 * unwritable -o), 3 failure while writing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "reports/report.h"
#include "results/results.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: slmbench report RESULTS.json [RESULTS2.json ...] [-o DIR]\n"
                 "  writes DIR/report.md and DIR/charts/ (default DIR: the first file's directory)\n");
}

static void default_dir(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(out, size, ".");
}

static void free_inputs(rep_input *inputs, int n)
{
    for (int i = 0; i < n; i++)
        cJSON_Delete((cJSON *)inputs[i].doc);
}

int cmd_report(int argc, char **argv)
{
    rep_input inputs[REP_MAX_DOCS];
    int n = 0;
    const char *out_dir = NULL;
    char err[1024] = "";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free_inputs(inputs, n);
            return CMD_OK;
        }
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (!(out_dir = cli_value(argc, argv, &i, err, sizeof err)))
                break;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            snprintf(err, sizeof err, "unknown option '%s' (slmbench report --help)", argv[i]);
            break;
        }
        if (n == REP_MAX_DOCS) {
            snprintf(err, sizeof err, "more than %d result files", REP_MAX_DOCS);
            break;
        }
        cJSON *doc = NULL;
        if (res_document_load(argv[i], &doc, err, sizeof err) != 0)
            break;
        inputs[n++] = (rep_input){doc, argv[i]};
    }
    if (!err[0] && n == 0)
        snprintf(err, sizeof err, "no results file given (slmbench report RESULTS.json)");
    if (err[0]) {
        fprintf(stderr, "slmbench report: %s\n", err);
        free_inputs(inputs, n);
        return CMD_USAGE;
    }
    char dir[4096], notice[1024];
    if (!out_dir) {
        default_dir(inputs[0].path, dir, sizeof dir);
        out_dir = dir;
    }
    int rc = rep_generate(inputs, n, out_dir, notice, sizeof notice, err, sizeof err);
    free_inputs(inputs, n);
    if (rc != 0) {
        fprintf(stderr, "slmbench report: %s\n", err);
        return CMD_USAGE;
    }
    fprintf(stderr, "slmbench report: %s/report.md written; %s\n", out_dir, notice);
    return CMD_OK;
}
