/*
 * c_resource.c - a WSFC resource DLL with OfflineV2 (SPEC section 1a, rules R1-R9), in C.
 *
 * The example the conformance kit checks: `offline-v2 conform --dll libc_resource.so
 * --resource-type "OfflineV2 C Example"` must pass on it, and must fail, naming the rule, on
 * each deliberately broken build (`-DBUG_...`, see the Makefile and docs/conform.md).
 *
 * Its environment (what a real DLL learns from its workload) comes from environment
 * variables read at StartupEx, optionally overridden by a file read at every OpenV2:
 *
 *   CRES_TYPE           resource type name            (default "OfflineV2 C Example")
 *   CRES_LOCKED         resources that are locked     (comma-separated names, "*" = all)
 *   CRES_BUSY           resources that are busy (R6)
 *   CRES_SYNC_OFFLINE   resources whose offline finishes at once (else ERROR_IO_PENDING)
 *   CRES_SYNC_ONLINE    resources whose online finishes at once
 *   CRES_FAIL           resources whose pending work ends Failed
 *   CRES_ONLINE_AT_OPEN resources that are already running when opened
 *   CRES_UNREACHABLE    destination node names this node cannot reach (R5)
 *   CRES_DELAY_MS       pending work ends after a random MIN..N ms (default 5)
 *   CRES_MIN_DELAY_MS   MIN of that delay (default 0: work may end before the call returns)
 *   CRES_SEED           seed of those delays (default 1)
 *   CRES_CONFIG         a file of KEY=VALUE lines with the same keys (without "CRES_")
 *
 * Design: one mutex guards the resource table and the work queue; a worker thread finishes
 * pending work when it is due. No host callback is ever made while the mutex is held (R8),
 * so a callback may call back into any entry point.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resapi_min.h"

#define MAX_RESOURCES 256
#define MAX_JOBS 1024
#define NAME_MAX_UNITS 256
#define DEST_SCAN_UNITS 16 /* R1: NUL-terminated within 16 units */
#define LIST_MAX 1024
#define RES_MAGIC 0x52455321u

struct resource {
    uint32_t magic; /* RES_MAGIC while open (checked by the pointer-RESID bug variant) */
    int used;
    uint64_t generation;
    char name[NAME_MAX_UNITS + 1];
    RESOURCE_HANDLE handle;
    CLUSTER_RESOURCE_STATE state;
    uint64_t work; /* bumped by every new work, Terminate and Close: stale jobs do nothing */
    int locked, busy, offline_sync, online_sync, fail_work;
};

struct job {
    int slot;
    uint64_t generation, work;
    struct timespec due;
};

struct config {
    char type[NAME_MAX_UNITS + 1];
    char locked[LIST_MAX], busy[LIST_MAX], sync_offline[LIST_MAX], sync_online[LIST_MAX];
    char fail[LIST_MAX], online_at_open[LIST_MAX], unreachable[LIST_MAX];
    long delay_ms, min_delay_ms;
    unsigned seed;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct resource table[MAX_RESOURCES];
static struct job jobs[MAX_JOBS];
static int job_count;
static uint64_t next_generation = 1;
static struct config cfg;
static unsigned rng_state = 1;
static pthread_t worker;
static int worker_started, worker_stop;

static PSET_RESOURCE_STATUS_ROUTINE_EX set_status_ex;
static PSET_RESOURCE_STATUS_ROUTINE set_status; /* classic Startup */
static PSET_RESOURCE_LOCKED_MODE_ROUTINE set_locked_mode;

/* ---------------------------------------------------------------- configuration */

static void copy_env(char *dst, size_t cap, const char *key, const char *fallback) {
    const char *v = getenv(key);
    snprintf(dst, cap, "%s", v ? v : fallback);
}

static void read_env(void) {
    copy_env(cfg.type, sizeof cfg.type, "CRES_TYPE", "OfflineV2 C Example");
    copy_env(cfg.locked, LIST_MAX, "CRES_LOCKED", "");
    copy_env(cfg.busy, LIST_MAX, "CRES_BUSY", "");
    copy_env(cfg.sync_offline, LIST_MAX, "CRES_SYNC_OFFLINE", "");
    copy_env(cfg.sync_online, LIST_MAX, "CRES_SYNC_ONLINE", "");
    copy_env(cfg.fail, LIST_MAX, "CRES_FAIL", "");
    copy_env(cfg.online_at_open, LIST_MAX, "CRES_ONLINE_AT_OPEN", "");
    copy_env(cfg.unreachable, LIST_MAX, "CRES_UNREACHABLE", "");
    const char *d = getenv("CRES_DELAY_MS");
    cfg.delay_ms = d ? strtol(d, NULL, 10) : 5;
    if (cfg.delay_ms < 0) cfg.delay_ms = 0;
    const char *m = getenv("CRES_MIN_DELAY_MS");
    cfg.min_delay_ms = m ? strtol(m, NULL, 10) : 0;
    if (cfg.min_delay_ms < 0 || cfg.min_delay_ms > cfg.delay_ms) cfg.min_delay_ms = 0;
    const char *s = getenv("CRES_SEED");
    cfg.seed = s ? (unsigned)strtoul(s, NULL, 10) : 1u;
    rng_state = cfg.seed ? cfg.seed : 1u;
}

/* CRES_CONFIG: KEY=VALUE lines (LOCKED=vm1,vm2 ...) override the environment. */
static void read_config_file(void) {
    const char *path = getenv("CRES_CONFIG");
    if (!path) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[LIST_MAX + 64];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        const char *key = line, *value = eq + 1;
        struct { const char *key; char *dst; } lists[] = {
            {"LOCKED", cfg.locked},           {"BUSY", cfg.busy},
            {"SYNC_OFFLINE", cfg.sync_offline}, {"SYNC_ONLINE", cfg.sync_online},
            {"FAIL", cfg.fail},               {"ONLINE_AT_OPEN", cfg.online_at_open},
            {"UNREACHABLE", cfg.unreachable},
        };
        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
            if (strcmp(key, lists[i].key) == 0) snprintf(lists[i].dst, LIST_MAX, "%s", value);
        if (strcmp(key, "DELAY_MS") == 0) cfg.delay_ms = strtol(value, NULL, 10);
    }
    fclose(f);
}

/* Is `name` in the comma-separated `list` ("*" matches every name)? Case-sensitive (SPEC 3). */
static int listed(const char *list, const char *name) {
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((len == 1 && p[0] == '*') || (len == n && strncmp(p, name, n) == 0)) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- RESIDs (R2) */

#ifdef BUG_RESID_IS_POINTER
/* BUG (R2): the RESID is the address of the resource's record and is trusted. A forged
 * RESID is dereferenced: a crash, where R2 demands ERROR_RESOURCE_NOT_FOUND. */
static RESID resid_of(int slot) { return (RESID)&table[slot]; }
static struct resource *lookup(RESID resid) {
    struct resource *r = (struct resource *)resid;
    if (!r || r->magic != RES_MAGIC) return NULL;
    return r;
}
#elif defined(BUG_RESID_REUSED)
/* BUG (R2): the RESID is the slot number, reused by the next OpenV2: a closed RESID then
 * names another resource instead of answering ERROR_RESOURCE_NOT_FOUND. */
static RESID resid_of(int slot) { return (RESID)(uintptr_t)(slot + 1); }
static struct resource *lookup(RESID resid) {
    uintptr_t v = (uintptr_t)resid;
    if (v == 0 || v > MAX_RESOURCES || !table[v - 1].used) return NULL;
    return &table[v - 1];
}
#else
/* RESID = generation << 16 | (slot + 1): generations never repeat, so RESID 0, forged
 * values, closed RESIDs and RESIDs of earlier opens are all told apart without reading
 * anything but the table. */
static RESID resid_of(int slot) {
    return (RESID)(uintptr_t)((table[slot].generation << 16) | (uint64_t)(slot + 1));
}
static struct resource *lookup(RESID resid) {
    uint64_t v = (uint64_t)(uintptr_t)resid;
    uint64_t slot = v & 0xFFFF;
    if (slot == 0 || slot > MAX_RESOURCES) return NULL;
    struct resource *r = &table[slot - 1];
    if (!r->used || r->generation != v >> 16) return NULL;
    return r;
}
#endif

/* ---------------------------------------------------------------- callbacks (outside mu) */

static void report_status(RESOURCE_HANDLE handle, CLUSTER_RESOURCE_STATE state) {
    if (set_status_ex) {
        RESOURCE_STATUS_EX st = {0};
        st.ResourceState = state;
        st.ApplicationSpecificErrorCode = state == ClusterResourceFailed ? ERROR_GEN_FAILURE : 0;
        set_status_ex(handle, &st);
    } else if (set_status) {
        RESOURCE_STATUS st = {0};
        st.ResourceState = state;
        set_status(handle, &st);
    }
}

static void report_locked(RESOURCE_HANDLE handle, int locked) {
#ifndef BUG_LOCK_NOT_REPORTED
    if (set_locked_mode) set_locked_mode(handle, locked ? TRUE : FALSE, 0);
#else
    /* BUG (R4): the lock is never reported, yet OfflineV2 answers LOCKED_STATUS. */
    (void)handle;
    (void)locked;
#endif
}

/* ---------------------------------------------------------------- the worker thread */

static struct timespec due_in(long ms) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec += 1;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int before(struct timespec a, struct timespec b) {
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* Queues the pending work of `slot` (mu held). */
static void schedule(int slot) {
    struct resource *r = &table[slot];
    r->work++;
    if (job_count == MAX_JOBS) return; /* bounded queue: cannot happen with 256 resources */
    long span = cfg.delay_ms - cfg.min_delay_ms;
    long delay = cfg.min_delay_ms + (span > 0 ? (long)(rand_r(&rng_state) % (unsigned)(span + 1)) : 0);
    jobs[job_count].slot = slot;
    jobs[job_count].generation = r->generation;
    jobs[job_count].work = r->work;
    jobs[job_count].due = due_in(delay);
    job_count++;
    pthread_cond_signal(&wake);
}

/* Finishes one due job (mu held): the new state and handle to report, or 0. */
static int finish(struct job j, RESOURCE_HANDLE *handle, CLUSTER_RESOURCE_STATE *end) {
    struct resource *r = &table[j.slot];
    if (!r->used || r->generation != j.generation || r->work != j.work) return 0;
    if (r->state == ClusterResourceOfflinePending) {
        *end = r->fail_work ? ClusterResourceFailed : ClusterResourceOffline;
    } else if (r->state == ClusterResourceOnlinePending) {
#ifdef BUG_NO_ONLINE_CALLBACK
        /* BUG (R7): the online finishes but the host is never told. */
        r->state = r->fail_work ? ClusterResourceFailed : ClusterResourceOnline;
        return 0;
#endif
        *end = r->fail_work ? ClusterResourceFailed : ClusterResourceOnline;
    } else {
        return 0;
    }
    r->state = *end;
    *handle = r->handle;
    return 1;
}

static void *work_loop(void *unused) {
    (void)unused;
    pthread_mutex_lock(&mu);
    while (!worker_stop) {
        if (job_count == 0) {
            pthread_cond_wait(&wake, &mu);
            continue;
        }
        int first = 0;
        for (int i = 1; i < job_count; i++)
            if (before(jobs[i].due, jobs[first].due)) first = i;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (before(now, jobs[first].due)) {
            /* pthread_cond_timedwait uses CLOCK_REALTIME by default: sleep by difference. */
            pthread_mutex_unlock(&mu);
            struct timespec d = {jobs[first].due.tv_sec - now.tv_sec,
                                 jobs[first].due.tv_nsec - now.tv_nsec};
            if (d.tv_nsec < 0) {
                d.tv_sec -= 1;
                d.tv_nsec += 1000000000L;
            }
            nanosleep(&d, NULL);
            pthread_mutex_lock(&mu);
            continue;
        }
        struct job j = jobs[first];
        jobs[first] = jobs[--job_count];
        RESOURCE_HANDLE handle;
        CLUSTER_RESOURCE_STATE end;
        int was_offline = table[j.slot].state == ClusterResourceOfflinePending;
        if (!finish(j, &handle, &end)) continue;
        pthread_mutex_unlock(&mu);
        report_status(handle, end); /* R7: exactly one status callback, outside the lock */
#ifdef BUG_TWO_CALLBACKS
        /* BUG (R7): a pending offline is reported twice. */
        if (was_offline) report_status(handle, end);
#else
        (void)was_offline;
#endif
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void start_worker(void) {
    pthread_mutex_lock(&mu);
    if (!worker_started) {
        worker_started = 1;
        pthread_create(&worker, NULL, work_loop, NULL);
    }
    pthread_mutex_unlock(&mu);
}

/* The DLL is unloaded: stop the worker so that it never runs unmapped code. */
__attribute__((destructor)) static void stop_worker(void) {
    pthread_mutex_lock(&mu);
    int started = worker_started;
    worker_stop = 1;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mu);
    if (started) pthread_join(worker, NULL);
}

/* ---------------------------------------------------------------- validation helpers */

/* R1: the destination's syntax, read within 16 units. 1 valid, 0 invalid. */
static int valid_destination(LPCWSTR dest, char out[DEST_SCAN_UNITS]) {
    size_t len = 0;
#ifdef BUG_UNBOUNDED_DEST_SCAN
    /* BUG (R1): the length is found like wcslen, without a bound: an unterminated name is
     * read past its end. */
    while (dest[len] != 0) len++;
    if (len == 0 || len >= DEST_SCAN_UNITS) return 0;
#else
    while (len < DEST_SCAN_UNITS && dest[len] != 0) len++;
    if (len == 0 || len == DEST_SCAN_UNITS) return 0; /* empty, or no NUL within 16 units */
#endif
    for (size_t i = 0; i < len; i++) {
        WCHAR c = dest[i];
        if (c > 0x7F || !(isalnum((int)c) || c == '-')) return 0;
        out[i] = (char)c;
    }
    out[len] = 0;
    return 1;
}

static int utf16_to_ascii(LPCWSTR s, char *out, size_t cap) {
    size_t i = 0;
    for (; i < cap && s[i] != 0; i++) {
        if (s[i] > 0x7F) return 0;
        out[i] = (char)s[i];
    }
    if (i == cap || i == 0) return 0;
    out[i] = 0;
    return 1;
}

/* ---------------------------------------------------------------- entry points */

static RESID WINAPI open_v2(LPCWSTR name, HKEY key, RESOURCE_HANDLE handle, DWORD flags) {
    (void)key;
    (void)flags;
    char ascii[NAME_MAX_UNITS + 1];
    if (!name || !utf16_to_ascii(name, ascii, NAME_MAX_UNITS)) return NULL;
    pthread_mutex_lock(&mu);
    read_config_file();
    int slot = -1;
    for (int i = 0; i < MAX_RESOURCES; i++) {
        if (table[i].used && strcmp(table[i].name, ascii) == 0) {
            pthread_mutex_unlock(&mu);
            return NULL; /* already open */
        }
        if (!table[i].used && slot < 0) slot = i;
    }
    if (slot < 0) {
        pthread_mutex_unlock(&mu);
        return NULL;
    }
    struct resource *r = &table[slot];
    uint64_t work = r->work;
    memset(r, 0, sizeof *r);
    r->work = work + 1;
    r->magic = RES_MAGIC;
    r->used = 1;
    r->generation = next_generation++;
    snprintf(r->name, sizeof r->name, "%s", ascii);
    r->handle = handle;
    r->state = listed(cfg.online_at_open, ascii) ? ClusterResourceOnline : ClusterResourceOffline;
    r->locked = listed(cfg.locked, ascii);
    r->busy = listed(cfg.busy, ascii);
    r->offline_sync = listed(cfg.sync_offline, ascii);
    r->online_sync = listed(cfg.sync_online, ascii);
    r->fail_work = listed(cfg.fail, ascii);
    int locked = r->locked;
    RESID resid = resid_of(slot);
    pthread_mutex_unlock(&mu);
    if (locked) report_locked(handle, 1); /* D3: a locked resource says so at Open */
    return resid;
}

static void WINAPI close_resource(RESID resid) {
    pthread_mutex_lock(&mu);
    struct resource *r = lookup(resid);
    if (r) {
        r->used = 0;
        r->magic = 0;
        r->work++;
    }
    pthread_mutex_unlock(&mu);
}

static void WINAPI terminate(RESID resid) {
    pthread_mutex_lock(&mu);
    struct resource *r = lookup(resid);
#ifdef BUG_TERMINATE_WAITS_UNDER_LOCK
    /* BUG (R8): Terminate waits for pending work to end while holding the lock the worker
     * needs to end it: a deadlock whenever work is pending. */
    while (r && (r->state == ClusterResourceOfflinePending ||
                 r->state == ClusterResourceOnlinePending)) {
        struct timespec nap = {0, 1000000L};
        nanosleep(&nap, NULL);
    }
#endif
    if (r) {
        r->state = ClusterResourceOffline; /* R19: Offline, pending work dropped */
        r->work++;
    }
    pthread_mutex_unlock(&mu);
}

static DWORD WINAPI offline_v2(RESID resid, LPCWSTR dest, DWORD flags, PBYTE in_buffer,
                               DWORD in_size, DWORD reserved) {
    char dest_name[DEST_SCAN_UNITS];
    int ignore = (flags & OV2_IGNORE_RESOURCE_STATUS) != 0;
    int rts = (flags & OV2_RETURN_TO_SOURCE_NODE_ON_ERROR) != 0;
    int returning = (flags & OV2_RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR) != 0;
#ifdef BUG_RESID_BEFORE_VALIDATION
    /* BUG (R9): the RESID is looked up before the arguments are validated. */
    pthread_mutex_lock(&mu);
    int known = lookup(resid) != NULL;
    pthread_mutex_unlock(&mu);
    if (!known) return ERROR_RESOURCE_NOT_FOUND;
#endif
    /* R1: validation first, no state change on failure. */
#ifndef BUG_RESERVED_IGNORED
    if (reserved != 0) return ERROR_INVALID_PARAMETER;
#else
    /* BUG (R1): Reserved is not looked at. */
    (void)reserved;
#endif
    if ((flags & ~OV2_ALL_FLAGS) != 0) return ERROR_INVALID_PARAMETER;
    if (!in_buffer && in_size > 0) return ERROR_INVALID_PARAMETER;
    if (rts && returning) return ERROR_INVALID_PARAMETER;
    if (dest && !valid_destination(dest, dest_name)) return ERROR_INVALID_PARAMETER;
    if ((rts || returning) && !dest) return ERROR_INVALID_PARAMETER;

    pthread_mutex_lock(&mu);
    struct resource *r = lookup(resid);
    DWORD answer;
    if (!r) {
        answer = ERROR_RESOURCE_NOT_FOUND; /* R2 */
        goto out;
    }
#ifdef BUG_LOCK_BEFORE_STATE
    /* BUG (R9): the lock is checked before the resource's own state (R3 comes first). */
    if (r->locked && !ignore) {
        answer = ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
        goto out;
    }
#endif
    switch (r->state) { /* R3 */
    case ClusterResourceOffline:
#ifdef BUG_OFFLINE_RESTARTS
        /* BUG (R3): an Offline resource goes through the offline work again. */
        if (!r->offline_sync) {
            r->state = ClusterResourceOfflinePending;
            schedule((int)(r - table));
            answer = ERROR_IO_PENDING;
            goto out;
        }
#endif
        answer = ERROR_SUCCESS;
        goto out;
    case ClusterResourceOfflinePending:
        answer = ERROR_IO_PENDING; /* no second completion */
        goto out;
    case ClusterResourceOnlinePending:
        answer = ERROR_INVALID_STATE;
        goto out;
    case ClusterResourceFailed:
        r->state = ClusterResourceOffline;
        answer = ERROR_SUCCESS;
        goto out;
    default:
        break;
    }
#ifdef BUG_IGNORE_0x01_WHEN_LOCKED
    /* BUG (R4): IGNORE_RESOURCE_STATUS does not override the lock. */
    if (r->locked) {
#else
    if (r->locked && !ignore) { /* R4 */
#endif
        answer = ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
        goto out;
    }
#ifdef BUG_UNREACHABLE_IGNORES_0x20
    /* BUG (R5): IGNORE_NETWORK_CONNECTIVITY is not honoured. */
    if (dest && !returning && listed(cfg.unreachable, dest_name)) {
#else
    if (dest && !returning && !(flags & OV2_IGNORE_NETWORK_CONNECTIVITY) &&
        listed(cfg.unreachable, dest_name)) { /* R5 */
#endif
        answer = ERROR_HOST_UNREACHABLE;
        goto out;
    }
#ifdef BUG_RETRY_WITH_0x01
    /* BUG (R6): busy answers ERROR_RETRY even with IGNORE_RESOURCE_STATUS. */
    if (r->busy) {
#else
    if (r->busy && !ignore) { /* R6 */
#endif
        answer = ERROR_RETRY;
        goto out;
    }
    if (r->offline_sync) { /* R7 */
        r->state = ClusterResourceOffline;
        answer = ERROR_SUCCESS;
    } else {
        r->state = ClusterResourceOfflinePending;
        schedule((int)(r - table));
        answer = ERROR_IO_PENDING;
    }
out:
    pthread_mutex_unlock(&mu);
    return answer;
}

static DWORD WINAPI online_v2(RESID resid, HANDLE *event, DWORD flags, PBYTE in_buffer,
                              DWORD in_size, DWORD reserved) {
    (void)event;
    (void)flags; /* OnlineFlags are not interpreted */
#ifndef BUG_ONLINE_RESERVED_IGNORED
    if (reserved != 0) return ERROR_INVALID_PARAMETER; /* R8: validates like R1 */
#else
    /* BUG (R8): OnlineV2 does not validate Reserved. */
    (void)reserved;
#endif
    if (!in_buffer && in_size > 0) return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&mu);
    struct resource *r = lookup(resid);
    DWORD answer;
    if (!r) {
        answer = ERROR_RESOURCE_NOT_FOUND;
        goto out;
    }
#ifdef BUG_ONLINE_CHECKS_LOCK
    /* BUG (R9): OnlineV2 refuses a locked resource; locks affect only OfflineV2. */
    if (r->locked) {
        answer = ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
        goto out;
    }
#endif
    switch (r->state) {
    case ClusterResourceOnline:
        answer = ERROR_SUCCESS;
        break;
    case ClusterResourceOnlinePending:
        answer = ERROR_IO_PENDING;
        break;
    case ClusterResourceOfflinePending:
        answer = ERROR_INVALID_STATE;
        break;
    default: /* Offline or Failed: start going online (R7) */
        if (r->online_sync) {
            r->state = ClusterResourceOnline;
            answer = ERROR_SUCCESS;
        } else {
            r->state = ClusterResourceOnlinePending;
            schedule((int)(r - table));
            answer = ERROR_IO_PENDING;
        }
    }
out:
    pthread_mutex_unlock(&mu);
    return answer;
}

static BOOL WINAPI looks_alive(RESID resid) {
    pthread_mutex_lock(&mu);
    struct resource *r = lookup(resid);
    BOOL alive = r && r->state == ClusterResourceOnline;
    pthread_mutex_unlock(&mu);
    return alive;
}

static DWORD WINAPI resource_control(RESID resid, DWORD code, PVOID in, DWORD in_size, PVOID out,
                                     DWORD out_size, LPDWORD returned, LONGLONG context,
                                     BOOL *async) {
    (void)resid, (void)code, (void)in, (void)in_size, (void)out, (void)out_size;
    (void)returned, (void)context, (void)async;
    return ERROR_INVALID_FUNCTION;
}

static DWORD WINAPI type_control(LPCWSTR type, DWORD code, PVOID in, DWORD in_size, PVOID out,
                                 DWORD out_size, LPDWORD returned, LONGLONG context,
                                 BOOL *async) {
    (void)type, (void)code, (void)in, (void)in_size, (void)out, (void)out_size;
    (void)returned, (void)context, (void)async;
    return ERROR_INVALID_FUNCTION;
}

static DWORD WINAPI cancel(RESID resid, DWORD flags) {
    (void)resid, (void)flags;
    return ERROR_INVALID_FUNCTION;
}

static const CLRES_FUNCTION_TABLE function_table = {
    .TableSize = CLRES_V4_FUNCTION_SIZE,
    .Version = CLRES_VERSION_V4_00,
    .V4Functions =
        {
            .Open = open_v2,
            .Close = close_resource,
            .Online = online_v2,
            .Offline = offline_v2,
            .Terminate = terminate,
            .LooksAlive = looks_alive,
            .IsAlive = looks_alive,
            .Arbitrate = NULL, /* not a quorum resource */
            .Release = NULL,
            .BeginResourceControl = resource_control,
            .BeginResourceTypeControl = type_control,
            .Cancel = cancel,
            .BeginResourceControlAsUser = NULL,
            .BeginResourceTypeControlAsUser = NULL,
        },
};

/* ASCII case-insensitive comparison of a UTF-16 type name, read within 256 units. */
static int same_type(LPCWSTR type) {
    size_t n = strlen(cfg.type);
    for (size_t i = 0; i <= n; i++) {
        if (i == NAME_MAX_UNITS) return 0;
        WCHAR c = type[i];
        char want = cfg.type[i];
        if (c > 0x7F || tolower((int)c) != tolower((unsigned char)want)) return 0;
    }
    return 1;
}

static DWORD start(LPCWSTR type, DWORD min, DWORD max, PCLRES_FUNCTION_TABLE *out) {
    if (!type || !out) return ERROR_INVALID_PARAMETER;
    if (min > CLRES_VERSION_V4_00 || max < CLRES_VERSION_V4_00) return ERROR_REVISION_MISMATCH;
    read_env();
    if (!same_type(type)) return ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND;
    start_worker();
    *out = (PCLRES_FUNCTION_TABLE)&function_table;
    return ERROR_SUCCESS;
}

#ifndef ONLY_CLASSIC_STARTUP /* -DONLY_CLASSIC_STARTUP: a DLL from before StartupEx */
RESDLL_EXPORT DWORD WINAPI StartupEx(LPCWSTR type, DWORD min, DWORD max,
                                     PCLRES_CALLBACK_FUNCTION_TABLE callbacks,
                                     PCLRES_FUNCTION_TABLE *out) {
    if (!callbacks) return ERROR_INVALID_PARAMETER;
    DWORD answer = start(type, min, max, out);
    if (answer == ERROR_SUCCESS) {
        pthread_mutex_lock(&mu);
        set_status_ex = callbacks->SetResourceStatusEx;
        set_locked_mode = callbacks->SetResourceLockedMode;
        set_status = NULL;
        pthread_mutex_unlock(&mu);
    }
    return answer;
}
#endif

RESDLL_EXPORT DWORD WINAPI Startup(LPCWSTR type, DWORD min, DWORD max,
                                   PSET_RESOURCE_STATUS_ROUTINE status, PLOG_EVENT_ROUTINE log,
                                   PCLRES_FUNCTION_TABLE *out) {
    (void)log; /* C-variadic; never called */
    if (!status) return ERROR_INVALID_PARAMETER;
    DWORD answer = start(type, min, max, out);
    if (answer == ERROR_SUCCESS) {
        pthread_mutex_lock(&mu);
        set_status = status;
        set_status_ex = NULL;
        set_locked_mode = NULL; /* classic Startup: no locked-mode callback */
        pthread_mutex_unlock(&mu);
    }
    return answer;
}
