//! A facade written as for marine-rs-sdk 0.10: imports through `#[link(wasm_import_module)]`,
//! flat call parameters (`cp.init_peer_id`, `cp.particle_id`), tetraplet `json_path`.

use marine_rs_sdk::{get_call_parameters, marine, CallParameters, SecurityTetraplet, WasmLoggerBuilder};

pub fn main() {
    WasmLoggerBuilder::new().build().unwrap();
    log::info!("styles_v0_10: logger ready in main");
}

/// The store's record, declared again here as every importing module does.
#[marine]
#[derive(Clone, Debug, Default)]
pub struct Result {
    pub success: bool,
    pub error: String,
    pub field_0: String,
    pub field_1: String,
}

#[marine]
#[link(wasm_import_module = "styles_store")]
extern "C" {
    pub fn put(key: String, value: String) -> Result;

    #[link_name = "get"]
    pub fn store_get(key: String) -> Result;
}

/// Remembers `value` under the caller's peer id and says who asked, in which particle.
#[marine]
pub fn remember(value: String) -> Result {
    let cp = get_call_parameters();
    log::info!("remember for {} in particle {} (host {})", cp.init_peer_id, cp.particle_id, cp.host_id);
    put(cp.init_peer_id, value)
}

/// What is stored under `key`.
#[marine]
pub fn recall(key: String) -> Result {
    store_get(key)
}

/// This call's parameters, in the 0.10 shape.
#[marine]
pub fn call_parameters() -> CallParameters {
    get_call_parameters()
}

/// Where the argument came from, as `peer/service/function/json_path`.
#[marine]
pub fn origin(arg: String) -> String {
    let _ = arg;
    let cp = get_call_parameters();
    let t: SecurityTetraplet = cp.tetraplets.get(0).and_then(|l| l.get(0)).cloned().unwrap_or_default();
    format!("{}/{}/{}/{} by {}", t.peer_pk, t.service_id, t.function_name, t.json_path, cp.service_creator_peer_id)
}
