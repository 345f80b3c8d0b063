//! Buffers that end right before an unreadable page (conformance of a user's DLL, issue 15).
//!
//! A DLL that reads one byte past what the host passed — a DestinationNodeName scanned past
//! its 16 units (R1), an InBuffer read past InBufferSize — faults at once on the guard page
//! instead of reading whatever follows. `offline-v2 conform` runs the DLL in a child process,
//! so the fault is reported as the rule the call tested rather than killing the checker.
//! On a platform without `mmap` the bytes are passed in an ordinary buffer (no guard).

/// Bytes placed so that the last one is followed by an unreadable page.
#[derive(Debug)]
pub struct GuardedBytes {
    #[cfg(unix)]
    map: *mut libc::c_void,
    #[cfg(unix)]
    map_len: usize,
    #[cfg(not(unix))]
    fallback: Vec<u8>,
    offset: usize,
}

// SAFETY: the mapping is owned by this value alone (no aliasing pointer escapes except for the
// duration of a call that borrows `self`); moving it to another thread moves the ownership.
unsafe impl Send for GuardedBytes {}

impl GuardedBytes {
    /// A copy of `bytes` ending at a guard page; `None` if the memory cannot be mapped.
    #[must_use]
    #[cfg(unix)]
    pub fn new(bytes: &[u8]) -> Option<Self> {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
        let data_pages = bytes.len().div_ceil(page).max(1);
        let map_len = (data_pages + 1) * page;
        // SAFETY: an anonymous private mapping with no address hint; the result is checked.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return None;
        }
        let guard_at = data_pages * page;
        // SAFETY: `guard_at..map_len` is the last page of the mapping made above.
        let protected =
            unsafe { libc::mprotect(map.cast::<u8>().add(guard_at).cast(), page, libc::PROT_NONE) };
        let offset = guard_at - bytes.len();
        let out = Self {
            map,
            map_len,
            offset,
        };
        if protected != 0 {
            return None; // `out` unmaps on drop
        }
        // SAFETY: `offset..guard_at` lies in the writable part of the mapping and has room for
        // exactly `bytes.len()` bytes; the source does not overlap a fresh mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                map.cast::<u8>().add(offset),
                bytes.len(),
            );
        }
        Some(out)
    }

    /// A copy of `bytes` in an ordinary buffer (no `mmap` here).
    #[must_use]
    #[cfg(not(unix))]
    pub fn new(bytes: &[u8]) -> Option<Self> {
        Some(Self {
            fallback: bytes.to_vec(),
            offset: 0,
        })
    }

    /// UTF-16 units as native-endian bytes, ending at the guard page.
    #[must_use]
    pub fn from_units(units: &[u16]) -> Option<Self> {
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_ne_bytes()).collect();
        Self::new(&bytes)
    }

    /// The first byte (2-aligned: the guard page is page-aligned and UTF-16 data has an even
    /// length).
    #[must_use]
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        #[cfg(unix)]
        {
            // SAFETY: `offset` is within the mapping (at most the guard page's start, which is
            // a valid one-past-the-end pointer for an empty buffer).
            unsafe { self.map.cast::<u8>().add(self.offset) }
        }
        #[cfg(not(unix))]
        {
            // SAFETY: `offset` is 0, within (or one past) the vector.
            unsafe { self.fallback.as_mut_ptr().add(self.offset) }
        }
    }
}

#[cfg(unix)]
impl Drop for GuardedBytes {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once; no pointer into it outlives a call
        // that borrowed `self`.
        unsafe {
            libc::munmap(self.map, self.map_len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_end_right_before_the_guard() {
        let mut g = GuardedBytes::from_units(&[0x41, 0x42, 0]).expect("mapped");
        let p = g.as_mut_ptr();
        // SAFETY: the three units were copied there.
        let read = unsafe { std::slice::from_raw_parts(p.cast::<u16>(), 3) };
        assert_eq!(read, [0x41, 0x42, 0]);
        #[cfg(unix)]
        {
            // SAFETY: sysconf has no preconditions.
            let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(1);
            assert_eq!(
                (p as usize + 6) % page,
                0,
                "the data ends at a page boundary"
            );
        }
    }
}
