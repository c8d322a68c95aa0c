//! Chooses the shapes of `CallParameters` and `SecurityTetraplet` from this crate's version, so
//! one source serves every marine-rs-sdk release it stands in for (`sdk-compat/v0.1x` build the
//! same sources under older versions):
//!
//! - 0.10: flat call parameters (`init_peer_id`, `particle_id`, …), tetraplet `json_path`;
//! - 0.11, 0.12: flat, plus `worker_id`;
//! - 0.13: `particle: ParticleParameters`, tetraplet `lambda`;
//! - 0.14: `particle`, tetraplet `lens`.

fn main() {
    let minor: u32 = std::env::var("CARGO_PKG_VERSION_MINOR")
        .ok()
        .and_then(|m| m.parse().ok())
        .expect("cargo sets CARGO_PKG_VERSION_MINOR");
    if minor <= 12 {
        println!("cargo:rustc-cfg=marine_sdk_flat_call_parameters");
    }
    if minor >= 11 {
        println!("cargo:rustc-cfg=marine_sdk_worker_id");
    }
    let lens = match minor {
        0..=12 => "json_path",
        13 => "lambda",
        _ => "lens",
    };
    println!("cargo:rustc-cfg=marine_sdk_tetraplet_{}", lens);
    // Nothing on disk is read (cargo rebuilds and reruns the script when its source changes).
    // Not `build.rs`: the compat packages use this file from ../../, so a `build.rs` beside their
    // Cargo.toml never exists and cargo would count them stale on every build.
    println!("cargo:rerun-if-changed=Cargo.toml");
}
