/*
 * history.c — the SQLite store behind `slmbench history` (tables and rules in
 * history.h).
 *
 * Invariants: bound parameters only (no SQL built from user text); one
 * transaction per `add`, rolled back on any error so a failed add stores
 * nothing; NULL identity fields are stored as "" so UNIQUE really dedupes.
 */
#include "results/history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "results/compare_stats.h"
#include "results/stats.h"

static const char *const history_metrics[] = {
    "decode_tps", "prefill_tps", "ttft_ms", "e2e_ms", "energy_j", "energy_dynamic_j",
    "power_avg_w", "rss_peak_bytes", "logprob_mean", "accuracy"};

int res_history_metric_known(const char *metric, char *names, size_t names_size)
{
    int known = 0;
    size_t used = 0;
    if (names_size)
        names[0] = '\0';
    for (size_t m = 0; m < sizeof history_metrics / sizeof history_metrics[0]; m++) {
        known |= !strcmp(metric, history_metrics[m]);
        if (used < names_size) {
            int n = snprintf(names + used, names_size - used, "%s%s", m ? " " : "", history_metrics[m]);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    return known;
}

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS history_runs("
    " id INTEGER PRIMARY KEY, added_utc TEXT NOT NULL, created_utc TEXT NOT NULL,"
    " source_path TEXT NOT NULL, git_commit TEXT NOT NULL, device_id TEXT NOT NULL,"
    " model_name TEXT NOT NULL, model_sha256 TEXT NOT NULL, run_key TEXT NOT NULL,"
    " UNIQUE(created_utc, git_commit, device_id, model_sha256, run_key));"
    "CREATE TABLE IF NOT EXISTS history_metrics("
    " run_id INTEGER NOT NULL REFERENCES history_runs(id), metric TEXT NOT NULL,"
    " n INTEGER NOT NULL, median REAL NOT NULL, mean REAL NOT NULL, p90 REAL NOT NULL,"
    " sd REAL NOT NULL, PRIMARY KEY(run_id, metric));"
    "PRAGMA user_version = 1;";

static int make_parent_dir(const char *path, char *err, size_t err_size)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char dir[1024];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_size, "%s: cannot create directory %s: %s", path, dir, strerror(errno));
        return -1;
    }
    return 0;
}

int res_history_open(const char *path, int create, sqlite3 **db, char *err, size_t err_size)
{
    *db = NULL;
    if (create && make_parent_dir(path, err, err_size) != 0)
        return -1;
    if (!create && access(path, R_OK) != 0) {
        snprintf(err, err_size, "%s: no history database (slmbench history add creates it)", path);
        return -1;
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s: cannot open database: %s", path,
                 *db ? sqlite3_errmsg(*db) : "out of memory");
        res_history_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 5000);
    char *message = NULL;
    if (sqlite3_exec(*db, schema_sql, NULL, NULL, &message) != SQLITE_OK) {
        snprintf(err, err_size, "%s: not a usable history database: %s", path,
                 message ? message : "unknown error");
        sqlite3_free(message);
        res_history_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

void res_history_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}

static const char *text_or_empty(const char *text)
{
    return text ? text : "";
}

static const char *file_string(const res_file *file, const char *object, const char *field)
{
    const cJSON *parent = object ? cJSON_GetObjectItemCaseSensitive(file->root, object) : file->root;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(parent, field);
    return cJSON_IsString(value) ? value->valuestring : NULL;
}

static void now_utc(char *buffer, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int sql_error(sqlite3 *db, const char *what, char *err, size_t err_size)
{
    snprintf(err, err_size, "history database: %s: %s", what, sqlite3_errmsg(db));
    return -1;
}

/* Inserts the run row; *run_id = 0 when it was already stored. */
static int insert_run(sqlite3 *db, const res_file *file, const cJSON *run, long long *run_id,
                      char *err, size_t err_size)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO history_runs(added_utc, created_utc, source_path, git_commit,"
        " device_id, model_name, model_sha256, run_key) VALUES(?,?,?,?,?,?,?,?)";
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
        return sql_error(db, "prepare", err, err_size);
    char added[40];
    now_utc(added, sizeof added);
    const char *created = res_run_string(run, "started_utc");
    char identity[400];
    res_run_model_identity(run, identity, sizeof identity);
    const char *values[] = {added,
                            text_or_empty(created ? created : file_string(file, NULL, "created_utc")),
                            file->path,
                            text_or_empty(file_string(file, "tool", "git_commit")),
                            text_or_empty(file->device_id),
                            text_or_empty(res_run_model_name(run)),
                            identity,
                            text_or_empty(res_run_string(run, "run_key"))};
    for (int i = 0; i < 8; i++)
        sqlite3_bind_text(statement, i + 1, values[i], -1, SQLITE_TRANSIENT);
    int status = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (status != SQLITE_DONE)
        return sql_error(db, "insert run", err, err_size);
    *run_id = sqlite3_changes(db) ? sqlite3_last_insert_rowid(db) : 0;
    return 0;
}

static int insert_metric(sqlite3 *db, long long run_id, const char *metric,
                         const res_samples *samples, char *err, size_t err_size)
{
    res_summary summary;
    if (res_summarize(samples->values, samples->n, &summary) != 0) {
        snprintf(err, err_size, "out of memory summarizing %s", metric);
        return -1;
    }
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO history_metrics(run_id, metric, n, median, mean, p90, sd)"
                           " VALUES(?,?,?,?,?,?,?)",
                           -1, &statement, NULL) != SQLITE_OK)
        return sql_error(db, "prepare", err, err_size);
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_text(statement, 2, metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 3, (sqlite3_int64)summary.n);
    sqlite3_bind_double(statement, 4, summary.median);
    sqlite3_bind_double(statement, 5, summary.mean);
    sqlite3_bind_double(statement, 6, summary.p90);
    sqlite3_bind_double(statement, 7, summary.sd);
    int status = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return status == SQLITE_DONE ? 0 : sql_error(db, "insert metric", err, err_size);
}

static int add_run(sqlite3 *db, const res_file *file, const cJSON *run, size_t *added,
                   size_t *duplicates, char *err, size_t err_size)
{
    long long run_id;
    if (insert_run(db, file, run, &run_id, err, err_size) != 0)
        return -1;
    if (run_id == 0) {
        (*duplicates)++;
        return 0;
    }
    (*added)++;
    for (size_t m = 0; m < sizeof history_metrics / sizeof history_metrics[0]; m++) {
        res_samples samples;
        if (res_run_samples(run, history_metrics[m], &samples, err, err_size) != 0)
            return -1;
        int status = samples.n ? insert_metric(db, run_id, history_metrics[m], &samples, err,
                                               err_size)
                               : 0;
        free(samples.values);
        if (status != 0)
            return -1;
    }
    return 0;
}

int res_history_add(sqlite3 *db, const res_file *file, size_t *added, size_t *duplicates,
                    char *err, size_t err_size)
{
    *added = *duplicates = 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sql_error(db, "begin", err, err_size);
    for (size_t i = 0; i < res_file_run_count(file); i++)
        if (add_run(db, file, res_file_run(file, i), added, duplicates, err, err_size) != 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            *added = *duplicates = 0;
            return -1;
        }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return sql_error(db, "commit", err, err_size);
    }
    return 0;
}

/* ---- query ----------------------------------------------------------------- */

static void copy_column(sqlite3_stmt *statement, int column, char *out, size_t size)
{
    const unsigned char *text = sqlite3_column_text(statement, column);
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

static void read_point(sqlite3_stmt *statement, res_history_point *point)
{
    memset(point, 0, sizeof *point);
    copy_column(statement, 0, point->created_utc, sizeof point->created_utc);
    copy_column(statement, 1, point->git_commit, sizeof point->git_commit);
    copy_column(statement, 2, point->model, sizeof point->model);
    copy_column(statement, 3, point->model_sha256, sizeof point->model_sha256);
    copy_column(statement, 4, point->device_id, sizeof point->device_id);
    copy_column(statement, 5, point->run_key, sizeof point->run_key);
    point->median = sqlite3_column_double(statement, 6);
    point->p90 = sqlite3_column_double(statement, 7);
    point->n = sqlite3_column_int(statement, 8);
    if (!point->model[0])
        snprintf(point->model, sizeof point->model, "%.12s", point->model_sha256);
}

static int collect_points(sqlite3_stmt *statement, res_history_point **points, size_t *n_points,
                          char *err, size_t err_size)
{
    size_t capacity = 0;
    int status;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
        if (*n_points == capacity) {
            capacity = capacity ? capacity * 2 : 32;
            res_history_point *grown = realloc(*points, capacity * sizeof *grown);
            if (!grown) {
                snprintf(err, err_size, "out of memory reading the history");
                return -1;
            }
            *points = grown;
        }
        read_point(statement, &(*points)[(*n_points)++]);
    }
    if (status != SQLITE_DONE) {
        snprintf(err, err_size, "history database: query: %s",
                 sqlite3_errmsg(sqlite3_db_handle(statement)));
        return -1;
    }
    return 0;
}

int res_history_query(sqlite3 *db, const res_history_filter *filter, res_history_point **points,
                      size_t *n_points, char *err, size_t err_size)
{
    static const char sql[] =
        "SELECT r.created_utc, r.git_commit, r.model_name, r.model_sha256, r.device_id,"
        " r.run_key, m.median, m.p90, m.n FROM history_runs r JOIN history_metrics m"
        " ON m.run_id = r.id WHERE m.metric = ?1"
        " AND (?2 IS NULL OR r.model_name = ?2 OR substr(r.model_sha256, 1, length(?2)) = ?2)"
        " AND (?3 IS NULL OR substr(r.device_id, 1, length(?3)) = ?3)"
        " AND (?4 IS NULL OR r.run_key = ?4)"
        " ORDER BY r.model_sha256, r.device_id, r.run_key, r.created_utc, r.id";
    *points = NULL;
    *n_points = 0;
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
        return sql_error(db, "prepare query", err, err_size);
    const char *values[] = {filter->metric, filter->model, filter->device, filter->run_key};
    for (int i = 0; i < 4; i++)
        if (values[i])
            sqlite3_bind_text(statement, i + 1, values[i], -1, SQLITE_STATIC);
    int status = collect_points(statement, points, n_points, err, err_size);
    sqlite3_finalize(statement);
    if (status != 0) {
        free(*points);
        *points = NULL;
        *n_points = 0;
    }
    return status;
}
