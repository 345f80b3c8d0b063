//! The host's view of one node's resource DLL instance (SPEC §1a): the seam between the
//! sans-IO cluster core (`crate::cluster`) and the code that actually calls a DLL.
//!
//! Implementations live at the edge: [`crate::abi::host`] calls the reference DLL through the
//! exported function table in-process, and [`crate::loader`] calls a cdylib loaded with
//! `libloading`. Both turn the DLL's callbacks (SetResourceStatusEx, SetResourceLockedMode,
//! SignalFailure) into [`DllCallback`]s that the core drains after every call.

use crate::types::{ErrorCode, NodeName, OfflineFlags, ResourceId, ResourceState, WorkMode};

/// A RESID returned by `OpenV2` (never NULL). Opaque to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resid(pub std::num::NonZeroUsize);

/// What the environment tells a node's workload (SPEC §7 events). Delivered through the
/// reference DLL's separate control export, never through the WSFC entry points (SPEC §1a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadControl<'a> {
    /// This instance runs on `node` (needed for reachability, R5). Sent once after start-up.
    SetLocalNode(NodeName),
    /// Declares a resource's workload: its work modes (R7) and whether it is running now
    /// (`running`: a later Open on this instance sees it Online; used only at set-up).
    Configure {
        /// Resource name as passed to `OpenV2`.
        resource: &'a str,
        /// How OfflineV2 work ends (R7).
        offline: WorkMode,
        /// How OnlineV2 work ends (R7).
        online: WorkMode,
        /// Running (Online) at set-up.
        running: bool,
    },
    /// Pending offline work of `resource` ends well (status callback Offline).
    CompleteOffline(&'a str),
    /// Pending offline work ends in failure (status callback Failed).
    FailOffline(&'a str),
    /// Pending online work ends well (status callback Online).
    CompleteOnline(&'a str),
    /// Pending online work ends in failure (status callback Failed).
    FailOnline(&'a str),
    /// The resource becomes locked (SetResourceLockedMode TRUE if it is open here).
    Lock(&'a str),
    /// The resource is no longer locked.
    Unlock(&'a str),
    /// The resource becomes busy (R6).
    Busy(&'a str),
    /// The resource is no longer busy.
    Unbusy(&'a str),
    /// The link from this node to `NodeName` is down (R5).
    NetDown(NodeName),
    /// The link from this node to `NodeName` is up again.
    NetUp(NodeName),
    /// The Online resource fails inside (R21): the DLL reports it Failed via SignalFailure.
    EmbeddedFailure(&'a str),
    /// The next OnlineV2/OfflineV2 of `resource` that passes R1 and R2 panics inside (R8).
    InjectPanic(&'a str),
    /// The node crashed: the instance forgets every RESID and all pending work (R20).
    Reset,
}

/// A callback from the DLL to the host, identified by the resource whose handle it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DllCallback {
    /// `SetResourceStatusEx`: pending work ended in `state` (R7, R8).
    Status {
        /// The resource.
        resource: ResourceId,
        /// Its new state (Offline, Online or Failed).
        state: ResourceState,
    },
    /// `SetResourceLockedMode` (R4).
    LockedMode {
        /// The resource.
        resource: ResourceId,
        /// Locked or not.
        locked: bool,
    },
    /// `SignalFailure(FAILURE_TYPE_EMBEDDED, code)` (R21).
    EmbeddedFailure {
        /// The resource.
        resource: ResourceId,
        /// The application's error code.
        code: u32,
    },
}

/// The DestinationNodeName of a raw call: absent, or exactly these UTF-16 units.
/// `terminated: false` passes them without a NUL (a test of R1's 16-unit bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawDest {
    /// NULL pointer.
    Null,
    /// A pointer to these units, followed by a NUL if `terminated`.
    Units {
        /// The code units.
        units: Vec<u16>,
        /// Append a NUL.
        terminated: bool,
    },
}

/// A raw `OfflineV2` call with every argument as the caller chose it (SPEC §7 `raw_offline_v2`).
///
/// `R` is how the RESID is named: its value (`usize`, what the DLL receives), or, in a
/// cluster [`Input`](crate::cluster::Input), a [`RawResid`](crate::cluster::RawResid) that the
/// host resolves on the called node ([`RawOfflineV2::with_resid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOfflineV2<R = usize> {
    /// The RESID, forged or real.
    pub resid: R,
    /// DestinationNodeName.
    pub dest: RawDest,
    /// OfflineFlags, unknown bits included.
    pub flags: u32,
    /// InBuffer (None = NULL). The DLL never reads it (R1 only checks NULL against the size).
    pub inbuf: Option<Vec<u8>>,
    /// InBufferSize, which may disagree with the buffer (the DLL must not read past it).
    pub inbuf_size: u32,
    /// Reserved.
    pub reserved: u32,
}

impl<R> RawOfflineV2<R> {
    /// The same call with the RESID named by `resid` (the other five arguments unchanged).
    #[must_use]
    pub fn with_resid<S>(self, resid: S) -> RawOfflineV2<S> {
        RawOfflineV2 {
            resid,
            dest: self.dest,
            flags: self.flags,
            inbuf: self.inbuf,
            inbuf_size: self.inbuf_size,
            reserved: self.reserved,
        }
    }
}

/// One node's resource DLL instance, as the host drives it.
///
/// Calls are synchronous and deterministic; callbacks the DLL makes during a call (or during
/// a [`WorkloadControl`]) are queued and drained with [`ResourceDll::take_callbacks`].
pub trait ResourceDll {
    /// `OpenV2(name, NULL, handle, 0)`; `resource` is what the callbacks for it will carry.
    fn open(&mut self, resource: ResourceId, name: &str) -> Option<Resid>;
    /// `Close(resid)`.
    fn close(&mut self, resid: Resid);
    /// `OnlineV2(resid, NULL, 0, NULL, 0, 0)`.
    fn online_v2(&mut self, resid: Resid) -> ErrorCode;
    /// `OfflineV2(resid, dest, flags, NULL, 0, 0)`.
    fn offline_v2(
        &mut self,
        resid: Resid,
        dest: Option<NodeName>,
        flags: OfflineFlags,
    ) -> ErrorCode;
    /// `Terminate(resid)`.
    fn terminate(&mut self, resid: Resid);
    /// `OfflineV2` with every argument raw (SPEC §7 `raw_offline_v2`, R1, R2).
    fn raw_offline_v2(&mut self, call: &RawOfflineV2) -> ErrorCode;
    /// Drives the workload through the DLL's control export (never a WSFC entry point).
    fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode;
    /// Moves every callback received since the last drain into `out`, in arrival order.
    fn take_callbacks(&mut self, out: &mut Vec<DllCallback>);
    /// What the DLL itself believes about `resid` (its DLL-side state, SPEC §3), for
    /// observers only — the host never acts on it. `None`: this DLL cannot tell (no state
    /// export, the default); `Some(None)`: it holds no such RESID.
    fn dll_state(&self, resid: Resid) -> Option<Option<ResourceState>> {
        let _ = resid;
        None
    }
}
