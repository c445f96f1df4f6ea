//! The C allocator's own figures, for the stress tools (`stress/node/server.mjs
//! --detail`): RSS alone cannot tell memory the process still uses from pages
//! the allocator keeps after a free (fragmentation, arenas' high-water marks).
//! Not part of the package's API.

use napi_derive::napi;

/// glibc's `mallinfo2()`, summed over its arenas, in bytes.
#[napi(object)]
pub struct MallocStats {
    /// Bytes handed out and not yet freed (`uordblks` + `hblkhd`: small
    /// blocks and separately mapped large ones).
    pub in_use: f64,
    /// Bytes freed but kept by the allocator in its arenas (`fordblks`).
    pub free: f64,
    /// Bytes the arenas hold from the system (`arena` + `hblkhd`).
    pub mapped: f64,
}

/// `null` where the C library is not glibc.
#[napi(catch_unwind)]
pub fn malloc_stats() -> Option<MallocStats> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments and only reads the allocator's counters.
        let m = unsafe { libc::mallinfo2() };
        Some(MallocStats {
            in_use: (m.uordblks + m.hblkhd) as f64,
            free: m.fordblks as f64,
            mapped: (m.arena + m.hblkhd) as f64,
        })
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}
