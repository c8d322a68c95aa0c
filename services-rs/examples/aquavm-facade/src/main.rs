//! A facade built with our SDK (so a Wasm component) over AquaVM's own `avm.wasm`, a Marine IT
//! module that Fluence's `marine` built: both formats in one service, linked by module name.

use marine_rs_sdk::marine;

pub fn main() {}

/// AquaVM's run parameters, as avm.wasm declares them.
#[marine]
pub struct RunParameters {
    pub init_peer_id: String,
    pub current_peer_id: String,
    pub timestamp: u64,
    pub ttl: u32,
    pub key_format: u8,
    pub secret_key_bytes: Vec<u8>,
    pub particle_id: String,
    pub air_size_limit: u64,
    pub particle_size_limit: u64,
    pub call_result_size_limit: u64,
    pub hard_limit_enabled: bool,
}

/// What AquaVM's invoke returns, as avm.wasm declares it.
#[marine]
pub struct InterpreterOutcome {
    pub ret_code: i64,
    pub error_message: String,
    pub data: Vec<u8>,
    pub next_peer_pks: Vec<String>,
    pub call_requests: Vec<u8>,
    pub air_size_limit_exceeded: bool,
    pub particle_size_limit_exceeded: bool,
    pub call_result_size_limit_exceeded: bool,
}

/// The AST of an AIR script as AquaVM prints it, or its parse error.
#[marine]
pub fn parse_air(script: String) -> String {
    ast(script)
}

/// Interpreter data rendered by AquaVM, with the number of bytes read.
#[marine]
pub fn describe_data(data: Vec<u8>) -> String {
    let size = data.len();
    format!("{} bytes: {}", size, to_human_readable_data(data))
}

/// Runs AIR on AquaVM from a fresh particle: no previous data, no call results.
#[marine]
pub fn run_air(air: String, params: RunParameters) -> InterpreterOutcome {
    // No call results: an empty msgpack map behind AquaVM's multicodec prefix (0x0201).
    invoke(air, vec![], vec![], params, vec![0x81, 0x04, 0x80])
}

#[marine]
#[link(wasm_import_module = "avm")]
extern "C" {
    /// avm.wasm's `ast`.
    pub fn ast(script: String) -> String;

    /// avm.wasm's `to_human_readable_data`.
    pub fn to_human_readable_data(data: Vec<u8>) -> String;

    /// avm.wasm's `invoke`.
    pub fn invoke(
        air: String,
        prev_data: Vec<u8>,
        data: Vec<u8>,
        params: RunParameters,
        call_results: Vec<u8>,
    ) -> InterpreterOutcome;
}
