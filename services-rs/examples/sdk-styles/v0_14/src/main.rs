//! A facade written as for marine-rs-sdk 0.14: `#[module_import]` and `#[host_import]` blocks,
//! call parameters with a nested `particle`, tetraplet `lens`.

use marine_rs_sdk::{get_call_parameters, marine, CallParameters, MountedBinaryResult, WasmLoggerBuilder};

pub fn main() {
    WasmLoggerBuilder::new().with_log_level(log::LevelFilter::Debug).build().unwrap();
    log::debug!("styles_v0_14: logger ready in main");
}

#[marine]
#[derive(Clone, Debug, Default)]
pub struct Result {
    pub success: bool,
    pub error: String,
    pub field_0: String,
    pub field_1: String,
}

#[marine]
#[module_import("styles_store")]
extern "C" {
    pub fn put(key: String, value: String) -> Result;
    pub fn get(key: String) -> Result;
}

#[marine]
#[host_import]
extern "C" {
    /// The mounted binary `echo` (granted in the service's Config.toml).
    pub fn echo(args: Vec<String>) -> MountedBinaryResult;
}

/// Remembers `value` under the caller's peer id and says who asked, in which particle.
#[marine]
pub fn remember(value: String) -> Result {
    let cp = get_call_parameters();
    log::info!("remember for {} in particle {} (worker {})", cp.particle.init_peer_id, cp.particle.id, cp.worker_id);
    put(cp.particle.init_peer_id, value)
}

/// What is stored under `key`.
#[marine]
pub fn recall(key: String) -> Result {
    get(key)
}

/// This call's parameters, in the 0.14 shape.
#[marine]
pub fn call_parameters() -> CallParameters {
    get_call_parameters()
}

/// Where the argument came from, as `peer/service/function/lens`.
#[marine]
pub fn origin(arg: String) -> String {
    let _ = arg;
    let cp = get_call_parameters();
    let t = cp.tetraplets.get(0).and_then(|l| l.get(0)).cloned().unwrap_or_default();
    format!("{}/{}/{}/{} by {}", t.peer_pk, t.service_id, t.function_name, t.lens, cp.service_creator_peer_id)
}

/// Runs the mounted `echo` with `words`, returning its stdout.
#[marine]
pub fn shout(words: Vec<String>) -> String {
    let r = echo(words);
    r.stringify().stdout.trim_end().to_string()
}
