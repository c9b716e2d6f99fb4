//! Logging through `tracing`; `RUST_LOG` chooses the level (default `info`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Makes glibc's allocator give memory back. A log-in hashes with Argon2 in ~19 MiB of memory;
/// by default glibc raises its mmap threshold after the first such block is freed, so later
/// blocks come from the heap and stay in the process after they are freed, and each thread's
/// arena keeps its own. A fixed threshold keeps large blocks in mmap (returned on free) and two
/// arenas bound what threads hold on to. Other platforms' allocators need nothing here.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; it is called once at start,
    // before the server's threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
