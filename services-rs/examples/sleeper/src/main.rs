use marine_rs_sdk::marine;
use std::time::Duration;

pub fn main() {}

marine_rs_sdk::module_manifest!();

/// Sleeps `ms` milliseconds (WASI poll on the monotonic clock: the thread waits, no CPU is used)
/// and returns `ms`. A service serves one call at a time, so this is a stand-in for real work.
#[marine]
pub fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// Writes `size` bytes to `path` (the node tests' probe of /storage, /tmp and their quota);
/// returns "OK" or the error as the guest sees it.
#[marine]
pub fn write_file(path: String, size: u64) -> String {
    match std::fs::write(&path, vec![b'x'; size as usize]) {
        Ok(()) => "OK".to_string(),
        Err(e) => format!("error: {}", e),
    }
}
