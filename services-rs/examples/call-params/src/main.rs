use marine_rs_sdk::{get_call_parameters, marine, CallParameters, SecurityTetraplet, WasmLoggerBuilder};

pub fn main() {}

/// The parameters of this very call, as the host gave them.
#[marine]
pub fn call_parameters() -> CallParameters {
    get_call_parameters()
}

/// The tetraplets of this call's arguments (one list per argument), so a test can pass a few
/// arguments and see where the host says each came from.
#[marine]
pub fn tetraplets(a: String, b: u32) -> Vec<Vec<SecurityTetraplet>> {
    let _ = (a, b);
    get_call_parameters().tetraplets
}

/// Who started the particle, logged at info level on the way.
#[marine]
pub fn init_peer_id() -> String {
    let _ = WasmLoggerBuilder::new().with_log_level(log::LevelFilter::Info).build();
    let cp = get_call_parameters();
    log::info!("called by {} in particle {}", cp.particle.init_peer_id, cp.particle.id);
    cp.particle.init_peer_id
}
