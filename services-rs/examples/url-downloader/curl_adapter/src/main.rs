//! Downloads URLs with the host's `curl`, a mounted binary.

use marine_rs_sdk::{marine, MountedBinaryResult, WasmLoggerBuilder};

pub fn main() {}

/// The body at `url` (stdout of `curl`), or curl's error text.
#[marine]
pub fn download(url: String) -> String {
    let _ = WasmLoggerBuilder::new().build();
    log::info!("download {}", url);
    let result = curl(vec!["-sS".to_string(), "--max-time".to_string(), "10".to_string(), url]);
    match result.stringify().into_std() {
        Some(Ok(body)) => body,
        Some(Err(stderr)) => format!("curl failed with code {}: {}", result.ret_code, stderr),
        None => format!("curl could not run: {}", result.error),
    }
}

#[marine]
#[link(wasm_import_module = "host")]
extern "C" {
    /// Runs the host's curl with these arguments.
    fn curl(cmd: Vec<String>) -> MountedBinaryResult;
}
