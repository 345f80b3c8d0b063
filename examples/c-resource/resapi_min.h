/*
 * resapi_min.h - the part of Windows' resapi.h a resource DLL with OfflineV2 needs
 * (SPEC section 1a), laid out field by field as in resapi.h, for building the example on a
 * system without the Windows SDK. On Windows the real headers are used instead.
 */
#ifndef RESAPI_MIN_H
#define RESAPI_MIN_H

#ifdef _WIN32
#include <windows.h>
#include <clusapi.h>
#include <resapi.h>
#define RESDLL_EXPORT __declspec(dllexport)
#else
#include <stdint.h>

typedef uint32_t DWORD;
typedef int32_t BOOL;
typedef uint16_t WCHAR; /* UTF-16 code unit (wchar_t is 32 bits on Linux) */
typedef const WCHAR *LPCWSTR;
typedef unsigned char *PBYTE;
typedef void *RESID;
typedef void *RESOURCE_HANDLE;
typedef void *HKEY;
typedef void *HANDLE;
typedef void *PVOID;
typedef DWORD *LPDWORD;
typedef int64_t LONGLONG;
#define WINAPI
#define TRUE 1
#define FALSE 0
#define RESDLL_EXPORT __attribute__((visibility("default")))

#define ERROR_SUCCESS 0u
#define ERROR_INVALID_FUNCTION 1u
#define ERROR_GEN_FAILURE 31u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_IO_PENDING 997u
#define ERROR_HOST_UNREACHABLE 1232u
#define ERROR_RETRY 1237u
#define ERROR_REVISION_MISMATCH 1306u
#define ERROR_RESOURCE_NOT_FOUND 5007u
#define ERROR_INVALID_STATE 5023u
#define ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND 5078u
#define ERROR_CLUSTER_RESOURCE_LOCKED_STATUS 5960u

#define CLRES_VERSION_V4_00 0x400u

typedef enum CLUSTER_RESOURCE_STATE {
    ClusterResourceStateUnknown = -1,
    ClusterResourceInherited = 0,
    ClusterResourceInitializing = 1,
    ClusterResourceOnline = 2,
    ClusterResourceOffline = 3,
    ClusterResourceFailed = 4,
    ClusterResourcePending = 128,
    ClusterResourceOnlinePending = 129,
    ClusterResourceOfflinePending = 130
} CLUSTER_RESOURCE_STATE;

typedef enum FAILURE_TYPE { FAILURE_TYPE_GENERAL = 0, FAILURE_TYPE_EMBEDDED = 1 } FAILURE_TYPE;

typedef struct RESOURCE_STATUS {
    CLUSTER_RESOURCE_STATE ResourceState;
    DWORD CheckPoint;
    DWORD WaitHint;
    HANDLE EventHandle;
} RESOURCE_STATUS, *PRESOURCE_STATUS;

typedef struct RESOURCE_STATUS_EX {
    CLUSTER_RESOURCE_STATE ResourceState;
    DWORD CheckPoint;
    HANDLE EventHandle;
    DWORD ApplicationSpecificErrorCode;
    DWORD Flags;
    DWORD WaitHint;
} RESOURCE_STATUS_EX, *PRESOURCE_STATUS_EX;

/* The host's callbacks. */
typedef DWORD(WINAPI *PSET_RESOURCE_STATUS_ROUTINE_EX)(RESOURCE_HANDLE, PRESOURCE_STATUS_EX);
typedef DWORD(WINAPI *PSET_RESOURCE_STATUS_ROUTINE)(RESOURCE_HANDLE, PRESOURCE_STATUS);
typedef DWORD(WINAPI *PSET_RESOURCE_LOCKED_MODE_ROUTINE)(RESOURCE_HANDLE, BOOL, DWORD);
typedef DWORD(WINAPI *PSIGNAL_FAILURE_ROUTINE)(RESOURCE_HANDLE, FAILURE_TYPE, DWORD);
typedef void *PLOG_EVENT_ROUTINE; /* C-variadic; never called here */

typedef struct CLRES_CALLBACK_FUNCTION_TABLE {
    PLOG_EVENT_ROUTINE LogEvent;
    PSET_RESOURCE_STATUS_ROUTINE_EX SetResourceStatusEx;
    PSET_RESOURCE_LOCKED_MODE_ROUTINE SetResourceLockedMode;
    PSIGNAL_FAILURE_ROUTINE SignalFailure;
    void *SetResourceInMemoryNodeLocalProperties;
    void *EndControlCall;
    void *EndTypeControlCall;
    void *ExtendControlCall;
    void *ExtendTypeControlCall;
    void *RaiseResTypeNotification;
    void *ChangeResourceProcessForDumps;
    void *ChangeResTypeProcessForDumps;
    void *SetInternalState;
    void *SetResourceLockedModeEx;
    void *RequestDump;
    void *SetResourceWprPolicy;
    void *ArmWprWatchdogForCurrentResourceCall;
} CLRES_CALLBACK_FUNCTION_TABLE, *PCLRES_CALLBACK_FUNCTION_TABLE;

/* The DLL's entry points (V4 table). */
typedef RESID(WINAPI *POPEN_V2_ROUTINE)(LPCWSTR, HKEY, RESOURCE_HANDLE, DWORD);
typedef void(WINAPI *PCLOSE_ROUTINE)(RESID);
typedef DWORD(WINAPI *PONLINE_V2_ROUTINE)(RESID, HANDLE *, DWORD, PBYTE, DWORD, DWORD);
typedef DWORD(WINAPI *POFFLINE_V2_ROUTINE)(RESID, LPCWSTR, DWORD, PBYTE, DWORD, DWORD);
typedef void(WINAPI *PTERMINATE_ROUTINE)(RESID);
typedef BOOL(WINAPI *PLOOKS_ALIVE_ROUTINE)(RESID);
typedef BOOL(WINAPI *PIS_ALIVE_ROUTINE)(RESID);
typedef DWORD(WINAPI *PARBITRATE_ROUTINE)(RESID, void *);
typedef DWORD(WINAPI *PRELEASE_ROUTINE)(RESID);
typedef DWORD(WINAPI *PBEGIN_RESCALL_ROUTINE)(RESID, DWORD, PVOID, DWORD, PVOID, DWORD, LPDWORD,
                                              LONGLONG, BOOL *);
typedef DWORD(WINAPI *PBEGIN_RESTYPECALL_ROUTINE)(LPCWSTR, DWORD, PVOID, DWORD, PVOID, DWORD,
                                                  LPDWORD, LONGLONG, BOOL *);
typedef DWORD(WINAPI *PCANCEL_ROUTINE)(RESID, DWORD);
typedef DWORD(WINAPI *PBEGIN_RESCALL_AS_USER_ROUTINE)(RESID, HANDLE, DWORD, PVOID, DWORD, PVOID,
                                                      DWORD, LPDWORD, LONGLONG, BOOL *);
typedef DWORD(WINAPI *PBEGIN_RESTYPECALL_AS_USER_ROUTINE)(LPCWSTR, HANDLE, DWORD, PVOID, DWORD,
                                                          PVOID, DWORD, LPDWORD, LONGLONG,
                                                          BOOL *);

typedef struct CLRES_V4_FUNCTIONS {
    POPEN_V2_ROUTINE Open;
    PCLOSE_ROUTINE Close;
    PONLINE_V2_ROUTINE Online;
    POFFLINE_V2_ROUTINE Offline;
    PTERMINATE_ROUTINE Terminate;
    PLOOKS_ALIVE_ROUTINE LooksAlive;
    PIS_ALIVE_ROUTINE IsAlive;
    PARBITRATE_ROUTINE Arbitrate;
    PRELEASE_ROUTINE Release;
    PBEGIN_RESCALL_ROUTINE BeginResourceControl;
    PBEGIN_RESTYPECALL_ROUTINE BeginResourceTypeControl;
    PCANCEL_ROUTINE Cancel;
    PBEGIN_RESCALL_AS_USER_ROUTINE BeginResourceControlAsUser;
    PBEGIN_RESTYPECALL_AS_USER_ROUTINE BeginResourceTypeControlAsUser;
} CLRES_V4_FUNCTIONS;

/* resapi.h declares a union of V1..V4 function structs; V4 is the largest member. */
typedef struct CLRES_FUNCTION_TABLE {
    DWORD TableSize;
    DWORD Version;
    union {
        CLRES_V4_FUNCTIONS V4Functions;
    };
} CLRES_FUNCTION_TABLE, *PCLRES_FUNCTION_TABLE;

#define CLRES_V4_FUNCTION_SIZE sizeof(CLRES_V4_FUNCTIONS)

#endif /* _WIN32 */

/* OfflineV2 flags (SPEC section 1). */
#define OV2_IGNORE_RESOURCE_STATUS 0x01u
#define OV2_RETURN_TO_SOURCE_NODE_ON_ERROR 0x02u
#define OV2_QUEUE_ENABLED 0x04u
#define OV2_RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR 0x08u
#define OV2_DUE_TO_EMBEDDED_FAILURE 0x10u
#define OV2_IGNORE_NETWORK_CONNECTIVITY 0x20u
#define OV2_DO_NOT_UPDATE_PERSISTENT_STATE 0x40u
#define OV2_ALL_FLAGS 0x7Fu

#endif /* RESAPI_MIN_H */
