/*
 * compare_write.h — atomic text output for the decision commands (compare,
 * history, carbon, route): reports, JUnit XML and gnuplot scripts.
 *
 * Invariant: the target is either left untouched or replaced whole — the text
 * goes to a temporary file in the same directory, is fsync'ed, then renamed.
 */
#ifndef RES_COMPARE_WRITE_H
#define RES_COMPARE_WRITE_H

#include <stddef.h>

int res_decision_write_file(const char *path, const char *text, size_t length, char *err,
                            size_t err_size);

/* Escapes &, <, >, " and ' for XML text and attributes; caller frees. NULL on OOM. */
char *res_xml_escape(const char *text);

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
