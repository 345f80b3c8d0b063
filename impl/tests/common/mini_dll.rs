//! Two small [`ResourceDll`]s for the cluster tests:
//! - [`MiniDll`], deterministic and `Clone + Eq + Hash` (what model checking the
//!   implementation needs, I18): OfflineV2 and Terminate end at once, OnlineV2 is pending until
//!   `complete_online`/`fail_online`;
//! - [`FloodDll`], the reference DLL repeating every status callback many times (a DLL that
//!   floods its host, for the callback bound of I17).
#![allow(dead_code)]

use std::collections::BTreeSet;

use offline_v2::reference::ReferenceDll;
use offline_v2::resource_dll::{DllCallback, RawOfflineV2, Resid, ResourceDll, WorkloadControl};
use offline_v2::types::{ErrorCode, NodeName, OfflineFlags, ResourceId, ResourceState};

/// One open resource of a [`MiniDll`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Open {
    resource: ResourceId,
    name: String,
    state: ResourceState,
}

/// A deterministic resource DLL with no ABI and no threads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MiniDll {
    /// Slot `resid - 1`.
    open: Vec<Option<Open>>,
    /// Resources running at set-up (an Open sees them Online).
    running: BTreeSet<String>,
    /// Status callbacks not yet taken: (resource, state).
    callbacks: Vec<(ResourceId, ResourceState)>,
}

impl MiniDll {
    fn slot(&mut self, resid: Resid) -> Option<&mut Open> {
        self.open.get_mut(resid.0.get() - 1)?.as_mut()
    }

    fn finish_online(&mut self, name: &str, to: ResourceState) -> ErrorCode {
        let found = self.open.iter_mut().flatten().find(|o| o.name == name);
        match found {
            Some(o) if o.state == ResourceState::OnlinePending => {
                o.state = to;
                self.callbacks.push((o.resource, to));
                ErrorCode::ERROR_SUCCESS
            }
            _ => ErrorCode::ERROR_INVALID_STATE,
        }
    }
}

impl ResourceDll for MiniDll {
    fn open(&mut self, resource: ResourceId, name: &str) -> Option<Resid> {
        let state = if self.running.contains(name) {
            ResourceState::Online
        } else {
            ResourceState::Offline
        };
        self.open.push(Some(Open {
            resource,
            name: name.to_owned(),
            state,
        }));
        std::num::NonZeroUsize::new(self.open.len()).map(Resid)
    }
    fn close(&mut self, resid: Resid) {
        if let Some(slot) = self.open.get_mut(resid.0.get() - 1) {
            *slot = None;
        }
    }
    fn online_v2(&mut self, resid: Resid) -> ErrorCode {
        match self.slot(resid) {
            Some(o) if o.state == ResourceState::Online => ErrorCode::ERROR_SUCCESS,
            Some(o) => {
                o.state = ResourceState::OnlinePending;
                ErrorCode::ERROR_IO_PENDING
            }
            None => ErrorCode::ERROR_RESOURCE_NOT_FOUND,
        }
    }
    fn offline_v2(&mut self, resid: Resid, _: Option<NodeName>, _: OfflineFlags) -> ErrorCode {
        match self.slot(resid) {
            Some(o) => {
                o.state = ResourceState::Offline;
                ErrorCode::ERROR_SUCCESS
            }
            None => ErrorCode::ERROR_RESOURCE_NOT_FOUND,
        }
    }
    fn terminate(&mut self, resid: Resid) {
        if let Some(o) = self.slot(resid) {
            o.state = ResourceState::Offline;
        }
    }
    fn raw_offline_v2(&mut self, _: &RawOfflineV2) -> ErrorCode {
        ErrorCode::ERROR_INVALID_FUNCTION
    }
    fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        match control {
            WorkloadControl::Configure {
                resource,
                running: true,
                ..
            } => {
                self.running.insert(resource.to_owned());
            }
            WorkloadControl::CompleteOnline(name) => {
                return self.finish_online(name, ResourceState::Online)
            }
            WorkloadControl::FailOnline(name) => {
                return self.finish_online(name, ResourceState::Failed)
            }
            WorkloadControl::Reset => *self = Self::default(),
            _ => {}
        }
        ErrorCode::ERROR_SUCCESS
    }
    fn take_callbacks(&mut self, out: &mut Vec<DllCallback>) {
        out.extend(
            self.callbacks
                .drain(..)
                .map(|(resource, state)| DllCallback::Status { resource, state }),
        );
    }
}

/// The reference DLL, repeating each status callback `repeat` times.
#[derive(Debug, Default)]
pub struct FloodDll {
    pub inner: ReferenceDll,
    pub repeat: usize,
}

impl ResourceDll for FloodDll {
    fn open(&mut self, resource: ResourceId, name: &str) -> Option<Resid> {
        self.inner.open(resource, name)
    }
    fn close(&mut self, resid: Resid) {
        self.inner.close(resid);
    }
    fn online_v2(&mut self, resid: Resid) -> ErrorCode {
        self.inner.online_v2(resid)
    }
    fn offline_v2(&mut self, resid: Resid, dest: Option<NodeName>, f: OfflineFlags) -> ErrorCode {
        self.inner.offline_v2(resid, dest, f)
    }
    fn terminate(&mut self, resid: Resid) {
        self.inner.terminate(resid);
    }
    fn raw_offline_v2(&mut self, call: &RawOfflineV2) -> ErrorCode {
        self.inner.raw_offline_v2(call)
    }
    fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        self.inner.control(control)
    }
    fn take_callbacks(&mut self, out: &mut Vec<DllCallback>) {
        let mut taken = Vec::new();
        self.inner.take_callbacks(&mut taken);
        for callback in taken {
            let times = match callback {
                DllCallback::Status { .. } => self.repeat.max(1),
                _ => 1,
            };
            out.extend(std::iter::repeat_n(callback, times));
        }
    }
}
