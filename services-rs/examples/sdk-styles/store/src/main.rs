//! A small key/value store that both SDK-style facades import: a record named `Result` and
//! fields named `field_0`, `field_1` cross the module boundary under the names written here.

use marine_rs_sdk::{marine, WasmLoggerBuilder};
use std::cell::RefCell;
use std::collections::BTreeMap;

thread_local! {
    static ENTRIES: RefCell<BTreeMap<String, String>> = RefCell::new(BTreeMap::new());
}

/// Runs once when the host loads the module, as Marine runs `_start`.
pub fn main() {
    WasmLoggerBuilder::new().with_log_level(log::LevelFilter::Info).build().unwrap();
    log::info!("styles_store: logger ready in main");
}

/// What a store operation did. The name shadows `std::result::Result` on purpose.
#[marine]
#[derive(Clone, Debug, Default)]
pub struct Result {
    pub success: bool,
    pub error: String,
    /// The key.
    pub field_0: String,
    /// The value (empty when absent).
    pub field_1: String,
}

/// Stores `value` under `key`; fails for an empty key.
#[marine]
pub fn put(key: String, value: String) -> Result {
    if key.is_empty() {
        log::warn!("put with an empty key refused");
        return Result { success: false, error: "empty key".into(), ..Default::default() };
    }
    log::info!("put {}", key);
    ENTRIES.with(|e| e.borrow_mut().insert(key.clone(), value.clone()));
    Result { success: true, error: String::new(), field_0: key, field_1: value }
}

/// The value stored under `key`.
#[marine]
pub fn get(key: String) -> Result {
    match ENTRIES.with(|e| e.borrow().get(&key).cloned()) {
        Some(value) => Result { success: true, error: String::new(), field_0: key, field_1: value },
        None => Result { success: false, error: format!("no entry {}", key), field_0: key, field_1: String::new() },
    }
}
