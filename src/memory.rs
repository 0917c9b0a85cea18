//! How the process gives memory back to the system.

/// Large blocks (Argon2's 19 MiB per password check) get memory of their own from the
/// system and return it the moment they are freed. By default glibc raises this threshold
/// after the first such block is freed, and from then on keeps them in the arena of the
/// thread that hashed, whose top it never trims: a login storm left ~40 MiB held for good
/// (benches/login_storm.rs), and before any trimming ~490 MiB.
pub fn release_large_blocks_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt sets one of the allocator's parameters; it takes no pointers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
    }
}

/// 4 MiB: far above what a request allocates at once, far below a password check's memory.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const LARGE_BLOCK: libc::c_int = 4 << 20;
