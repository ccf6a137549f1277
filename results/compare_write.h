/*
 * compare_write.h — XML escaping and gnuplot charts for the decision commands
 * (compare, history, carbon, route).
 *
 * Invariant: every file they write (reports, JUnit XML, gnuplot scripts) goes
 * through res_write_file_atomic (results.h): the target is either left
 * untouched or replaced whole.
 */
#ifndef RES_COMPARE_WRITE_H
#define RES_COMPARE_WRITE_H

#include <stddef.h>

/* Escapes &, <, >, " and ' for XML text and attributes; caller frees. NULL on OOM. */
char *res_xml_escape(const char *text);

/* Runs `gnuplot arg1 [arg2]` (arg2 may be NULL) in dir (NULL: the current
 * directory) with its output discarded. Returns gnuplot's exit code (127: not
 * found, or dir unusable), -1 when it could not be started or waited for. */
int res_gnuplot_run(const char *dir, const char *arg1, const char *arg2);

/*
 * Charts: writes OUT_BASE.gp (terminal + output lines, then `body`, which
 * must use no terminal or output of its own) and runs gnuplot on it: PNG with
 * pngcairo, SVG when pngcairo is missing. On success `chart` gets the image
 * path; when gnuplot is absent or fails, returns 1 and `chart` gets a
 * one-line notice (the script stays for the user). -1 only when the script
 * cannot be written.
 */
int res_gnuplot_render(const char *out_base, const char *body, char *chart, size_t chart_size,
                       char *err, size_t err_size);

#endif
