/*
 * forward_reference.c - an adapter DLL that forwards the resource API to another resource
 * DLL (FORWARD_TO=path, e.g. the reference liboffline_v2.so), as a vendor's shim might. It
 * forwards StartupEx, Startup and the reference control and state exports, but NOT the
 * release export: a harness that starts a fresh instance per scenario and never gives it
 * back would exhaust the reference's pool of 64 instances (issue 15). The harness reuses the
 * instances of such a DLL instead (Close on everything, Reset, then the next scenario).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "resapi_min.h"

static void *target;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    const char *path = getenv("FORWARD_TO");
    if (path) target = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!target) fprintf(stderr, "forward_reference: cannot load FORWARD_TO=%s\n", path ? path : "");
}

static void *lookup(const char *name) {
    pthread_once(&once, load);
    return target ? dlsym(target, name) : NULL;
}

typedef DWORD(WINAPI *startup_ex_fn)(LPCWSTR, DWORD, DWORD, PCLRES_CALLBACK_FUNCTION_TABLE,
                                     PCLRES_FUNCTION_TABLE *);
typedef DWORD(WINAPI *startup_fn)(LPCWSTR, DWORD, DWORD, PSET_RESOURCE_STATUS_ROUTINE,
                                  PLOG_EVENT_ROUTINE, PCLRES_FUNCTION_TABLE *);
typedef DWORD(WINAPI *control_fn)(const void *, const void *);
typedef int32_t(WINAPI *state_fn)(const void *, RESID);

RESDLL_EXPORT DWORD WINAPI StartupEx(LPCWSTR type, DWORD min, DWORD max,
                                     PCLRES_CALLBACK_FUNCTION_TABLE callbacks,
                                     PCLRES_FUNCTION_TABLE *out) {
    startup_ex_fn f = (startup_ex_fn)lookup("StartupEx");
    return f ? f(type, min, max, callbacks, out) : ERROR_INVALID_FUNCTION;
}

RESDLL_EXPORT DWORD WINAPI Startup(LPCWSTR type, DWORD min, DWORD max,
                                   PSET_RESOURCE_STATUS_ROUTINE status, PLOG_EVENT_ROUTINE log,
                                   PCLRES_FUNCTION_TABLE *out) {
    startup_fn f = (startup_fn)lookup("Startup");
    return f ? f(type, min, max, status, log, out) : ERROR_INVALID_FUNCTION;
}

RESDLL_EXPORT DWORD WINAPI OfflineV2ReferenceControl(const void *table, const void *request) {
    control_fn f = (control_fn)lookup("OfflineV2ReferenceControl");
    return f ? f(table, request) : ERROR_INVALID_FUNCTION;
}

RESDLL_EXPORT int32_t WINAPI OfflineV2ReferenceState(const void *table, RESID resid) {
    state_fn f = (state_fn)lookup("OfflineV2ReferenceState");
    return f ? f(table, resid) : -1;
}
