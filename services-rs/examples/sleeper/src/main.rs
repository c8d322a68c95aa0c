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
