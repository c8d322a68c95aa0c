//! Downloads a URL and stores it under a name: the service's public API.

use marine_rs_sdk::{marine, WasmLoggerBuilder};

pub fn main() {}

/// Downloads `url`, stores the body as `file_name` and returns the storage's answer.
#[marine]
pub fn get_n_save(url: String, file_name: String) -> String {
    let _ = WasmLoggerBuilder::new().build();
    log::info!("get_n_save {} -> {}", url, file_name);
    let body = download(url);
    file_put(file_name, body.into_bytes())
}

/// Reads back a stored file as text.
#[marine]
pub fn load(file_name: String) -> String {
    String::from_utf8_lossy(&file_get(file_name)).into_owned()
}

#[marine]
#[link(wasm_import_module = "curl_adapter")]
extern "C" {
    /// curl_adapter's `download`.
    pub fn download(url: String) -> String;
}

#[marine]
#[link(wasm_import_module = "local_storage")]
extern "C" {
    /// local_storage's `put`, under a name of our own.
    #[link_name = "put"]
    pub fn file_put(name: String, content: Vec<u8>) -> String;

    /// local_storage's `get`.
    #[link_name = "get"]
    pub fn file_get(file_name: String) -> Vec<u8>;
}
