//! Stores files in the directory the host maps to `/sites`.

use marine_rs_sdk::{marine, WasmLoggerBuilder};
use std::path::{Path, PathBuf};

const SITES_DIR: &str = "/sites/";

pub fn main() {}

/// Writes `content` to `/sites/<name>`; returns "OK" or the error.
#[marine]
pub fn put(name: String, content: Vec<u8>) -> String {
    init_logger();
    log::info!("put {} ({} bytes)", name, content.len());
    match file_path(&name) {
        Ok(path) => match std::fs::write(path, content) {
            Ok(()) => "OK".to_string(),
            Err(e) => format!("error: {}", e),
        },
        Err(e) => e,
    }
}

/// Reads `/sites/<name>`; an empty vector when it is missing.
#[marine]
pub fn get(file_name: String) -> Vec<u8> {
    init_logger();
    log::info!("get {}", file_name);
    match file_path(&file_name) {
        Ok(path) => std::fs::read(path).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

fn file_path(name: &str) -> Result<PathBuf, String> {
    let name_path = Path::new(name);
    let plain = name_path.components().count() == 1
        && matches!(name_path.components().next(), Some(std::path::Component::Normal(_)));
    if !plain {
        return Err(format!("error: `{}` is not a plain file name", name));
    }
    Ok(Path::new(SITES_DIR).join(name_path))
}

fn init_logger() {
    // A second build() returns an error that only says a logger is already installed.
    let _ = WasmLoggerBuilder::new().build();
}
