//! The host's side of DLL calls: it calls the owner's instance, lists the call (D5) and
//! updates its own view from the answer (R7, D16); Terminate, Open/Close on ownership changes
//! (D10, D17), and status callbacks (R7, R20).

use crate::action::{DestArg, RawCall, ResidArg};
use crate::state::witness;
use crate::step::Cx;
use crate::vocab::{codes::*, oflags, Entry, Observation, RState, Sink};

impl<S: Sink> Cx<'_, S> {
    fn list(&mut self, node: u8, entry: Entry, r: usize, dest: Option<u8>, flags: u8, result: u32) {
        self.emit(Observation::Call {
            node,
            entry,
            resource: r,
            dest,
            flags,
            result,
        });
    }

    /// The host calls OfflineV2 on the owner (flags chosen by the caller, R12) and takes the
    /// answer into its view: SUCCESS → Offline, IO_PENDING → OfflinePending (a call is now
    /// outstanding), GEN_FAILURE → Failed (D16); any other error leaves it as it was (M1).
    pub(crate) fn host_offline(&mut self, r: usize, flags: u8, dest: Option<u8>) -> u32 {
        let node = self.owner(self.group_of(r));
        let darg = dest.map_or(DestArg::None, DestArg::Valid);
        let call = RawCall::plain(ResidArg::Held(r), darg, u32::from(flags));
        let code = self.dll_offline(usize::from(node), Some(r), &call);
        self.list(node, Entry::OfflineV2, r, dest, flags, code);
        if flags & oflags::IGNORE_NET != 0 {
            self.witness(witness::FORCED_NET);
        }
        match code {
            ERROR_SUCCESS => self.s.set_host(r, RState::Offline),
            ERROR_IO_PENDING => self.s.set_host(r, RState::OfflinePending),
            ERROR_GEN_FAILURE => self.s.set_host(r, RState::Failed),
            _ => {}
        }
        code
    }

    /// The host calls OnlineV2 on the owner; any error answer leaves the resource Failed in
    /// the host view (D16, M1).
    pub(crate) fn host_online(&mut self, r: usize) -> u32 {
        let node = self.owner(self.group_of(r));
        let code = self.dll_online(usize::from(node), r);
        self.list(node, Entry::OnlineV2, r, None, 0, code);
        let view = match code {
            ERROR_SUCCESS => RState::Online,
            ERROR_IO_PENDING => RState::OnlinePending,
            _ => RState::Failed,
        };
        self.s.set_host(r, view);
        code
    }

    /// Terminate on the owner: the DLL's copy is Offline whatever its state, any pending work
    /// is dropped without a callback (R19 amended, D16); the host view becomes `view`
    /// (Offline, or Failed after an online timeout).
    pub(crate) fn terminate(&mut self, r: usize, view: RState) {
        let node = self.owner(self.group_of(r));
        self.s.set_dll(r, RState::Offline);
        self.s.set_host(r, view);
        self.list(node, Entry::Terminate, r, None, 0, ERROR_SUCCESS);
    }

    /// Ownership of `g` passes to `to`: Close on `from` for each resource (if it is Up; no
    /// Close on a dead node, D17), then Open on `to` for each, in declaration order (D10).
    pub(crate) fn transfer(&mut self, g: usize, from: Option<u8>, to: u8) {
        if let Some(from) = from.filter(|&f| self.s.is_up(usize::from(f))) {
            for r in self.members(g) {
                self.list(from, Entry::Close, r, None, 0, ERROR_SUCCESS);
            }
        }
        self.s.set_owner(g, to);
        for r in self.members(g) {
            // The new instance sees the resource Offline (Failed stays Failed); OpenV2 reports
            // a lock at once, so the host's view of `locked` is the truth again (D3, I15).
            let seen = if self.s.host(r) == RState::Failed {
                RState::Failed
            } else {
                RState::Offline
            };
            self.s.set_dll(r, seen);
            self.s.set_host_locked(r, self.s.locked(r));
            self.list(to, Entry::Open, r, None, 0, ERROR_SUCCESS);
        }
    }

    /// A status callback from `node`'s instance (R7): it ends the host's outstanding call on
    /// that resource, whichever call started the work; otherwise (no call outstanding, not
    /// the owner, a Down node) it is unsolicited and ignored (R20).
    pub(crate) fn callback(&mut self, node: usize, r: usize, status: RState, code: u32) {
        let g = self.group_of(r);
        if self.s.owner(g) != node || !self.s.is_up(node) || !self.s.host(r).is_pending() {
            return;
        }
        self.call_ended(g, r, status, code);
    }
}
