//! Downloads URLs with the host's `curl`, a mounted binary.
//!
//! curl runs on the host with the host's permissions, so whatever it is asked to fetch is
//! fetched as the host: this module must decide what a caller may ask for. Only http(s) URLs
//! are passed on. Examples like this one are copied into real services, so the checks are
//! written out here rather than left to the reader.

use marine_rs_sdk::{marine, MountedBinaryResult, WasmLoggerBuilder};

pub fn main() {}

/// Why `url` may not be fetched, or None when it is an http(s) URL.
fn refusal(url: &str) -> Option<String> {
    // curl also speaks file://, ftp://, dict://, gopher://... and file:///etc/passwd would
    // return the host's files to the caller; only the web schemes are allowed.
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Some(format!("refused {:?}: only http:// and https:// URLs can be downloaded", url));
    }
    // Whitespace or control characters have no place in a URL and would confuse logs.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("refused {:?}: a URL may not contain spaces or control characters", url));
    }
    None
}

/// The body at `url` (stdout of `curl`), or why it was refused, or curl's error text.
#[marine]
pub fn download(url: String) -> String {
    let _ = WasmLoggerBuilder::new().build();
    if let Some(why) = refusal(&url) {
        log::warn!("{}", why);
        return why;
    }
    log::info!("download {}", url);
    let result = curl(vec![
        "-sS".to_string(),
        "--max-time".to_string(),
        "10".to_string(),
        // Defence in depth: even if the check above were wrong, curl itself refuses any other
        // scheme, for the URL and for every redirect it follows.
        "--proto".to_string(),
        "=http,https".to_string(),
        "--proto-redir".to_string(),
        "=http,https".to_string(),
        // Everything after `--` is a URL, never an option: a "URL" such as `-o/some/file` or
        // `--config=...` cannot make curl write files or read a config.
        "--".to_string(),
        url,
    ]);
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
