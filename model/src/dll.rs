//! The reference resource DLL's entry points (R1–R9), as the owner's instance sees them. They
//! change the DLL side only; the host side is in `host.rs`.

use crate::action::{DestArg, RawCall};
use crate::bugs::Bug;
use crate::config::WorkMode;
use crate::state::mark;
use crate::step::Cx;
use crate::vocab::{codes::*, RState, Sink};

/// R1: the arguments that are rejected before anything else, whatever the RESID.
fn invalid(call: &RawCall) -> bool {
    let f = call.flags;
    let has_dest = !matches!(call.dest, DestArg::None);
    call.reserved != 0
        || f & !0x7F != 0
        || (call.inbuf_null && call.inbuf_size > 0)
        || (f & 0x08 != 0 && f & 0x02 != 0)
        || (f & 0x0A != 0 && !has_dest)
        || matches!(call.dest, DestArg::Invalid)
}

impl<S: Sink> Cx<'_, S> {
    fn mode(&self, r: usize, online: bool) -> WorkMode {
        let sh = self.s.shape();
        let sync = if online {
            sh.sync_online
        } else {
            sh.sync_offline
        };
        if sync & (1 << (r % 16)) != 0 {
            WorkMode::Sync
        } else {
            WorkMode::Pending
        }
    }

    /// R8: an injected panic armed on this instance fires on the first call past R1 and R2:
    /// ERROR_GEN_FAILURE, the resource Failed, the panic disarmed (D20).
    fn panic_fires(&mut self, node: usize, r: usize) -> bool {
        if !self.s.armed(node, r) {
            return false;
        }
        self.s.set_armed(node, r, false);
        self.s.set_dll(r, RState::Failed);
        true
    }

    /// OfflineV2 on `node`'s instance, rules in order (R9). `r` is the resource the RESID
    /// names if the instance holds it (None: an unknown, closed or forged RESID).
    pub(crate) fn dll_offline(&mut self, node: usize, r: Option<usize>, call: &RawCall) -> u32 {
        // R1 validation first, no state change on failure.
        if invalid(call) {
            return ERROR_INVALID_PARAMETER;
        }
        // R2
        let Some(r) = r.filter(|&r| self.s.holds(node, r)) else {
            return ERROR_RESOURCE_NOT_FOUND;
        };
        if self.panic_fires(node, r) {
            return ERROR_GEN_FAILURE;
        }
        let prior = self.s.dll(r);
        let code = self.offline_rules(node, r, call);
        // R4 (checked at the transition): an Online, locked resource never starts going
        // offline without 0x01.
        let started = code == ERROR_SUCCESS || code == ERROR_IO_PENDING;
        if prior == RState::Online && self.s.locked(r) && call.flags & 0x01 == 0 && started {
            self.s.add_violations(mark::R4);
        }
        code
    }

    /// R3–R7 for a held resource.
    fn offline_rules(&mut self, node: usize, r: usize, call: &RawCall) -> u32 {
        let f = call.flags;
        match self.s.dll(r) {
            RState::Offline => return ERROR_SUCCESS,
            RState::OfflinePending => return ERROR_IO_PENDING,
            RState::OnlinePending => return ERROR_INVALID_STATE,
            RState::Failed => {
                self.s.set_dll(r, RState::Offline);
                return ERROR_SUCCESS;
            }
            RState::Online => {}
        }
        // R4 locked without IGNORE.
        if self.s.locked(r) && f & 0x01 == 0 && !self.bug(Bug::DllIgnoresLock) {
            return ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
        }
        // R5 a move offline to an unreachable destination without 0x20.
        if let DestArg::Valid(to) = call.dest {
            let from = u8::try_from(node).unwrap_or(u8::MAX);
            if f & 0x08 == 0 && f & 0x20 == 0 && !self.s.link_up(from, to) {
                return ERROR_HOST_UNREACHABLE;
            }
        }
        // R6 busy without IGNORE.
        if self.s.busy(r) && f & 0x01 == 0 {
            return ERROR_RETRY;
        }
        // R7 start going offline.
        match self.mode(r, false) {
            WorkMode::Sync => {
                self.s.set_dll(r, RState::Offline);
                ERROR_SUCCESS
            }
            WorkMode::Pending => {
                self.s.set_dll(r, RState::OfflinePending);
                ERROR_IO_PENDING
            }
        }
    }

    /// OnlineV2 on `node`'s instance (R7, R8; locks and busy ignored, R9).
    pub(crate) fn dll_online(&mut self, node: usize, r: usize) -> u32 {
        if !self.s.holds(node, r) {
            return ERROR_RESOURCE_NOT_FOUND; // R2
        }
        if self.panic_fires(node, r) {
            return ERROR_GEN_FAILURE;
        }
        match self.s.dll(r) {
            RState::Online => ERROR_SUCCESS,
            RState::OnlinePending => ERROR_IO_PENDING,
            RState::OfflinePending => ERROR_INVALID_STATE,
            RState::Offline | RState::Failed => match self.mode(r, true) {
                WorkMode::Sync => {
                    self.s.set_dll(r, RState::Online);
                    ERROR_SUCCESS
                }
                WorkMode::Pending => {
                    self.s.set_dll(r, RState::OnlinePending);
                    ERROR_IO_PENDING
                }
            },
        }
    }
}
