//! Write marine-ts service modules in Rust.
//!
//! `#[marine]` on a `pub fn` exports it, on a struct with named fields makes it a record, and on
//! an `extern "C"` block with `#[link(wasm_import_module = "…")]` imports functions from another
//! module of the same service. [`get_call_parameters`] tells a function who called it and where
//! each argument came from; [`MountedBinaryResult`] is what mounted binaries return;
//! [`WasmLoggerBuilder`] sends `log` records to the host.
//!
//! The crate's version is that of the marine-rs-sdk release whose API it implements (0.14 here;
//! `sdk-compat/` builds the same sources as 0.10–0.13, with those releases' call-parameter
//! shapes), and it declares the same features (`logger`, `debug`, `marine-abi`,
//! `no-explicit-ctors-call`), so a service's dependency line needs only a `path`. The logger is
//! always available; the features change nothing.

// Lets the code #[marine] generates name this crate as `::marine_rs_sdk` inside it too.
extern crate self as marine_rs_sdk;

mod abi;
mod host_api;
mod logger;
mod manifest;
mod mounted_binary;
mod tetraplet;

pub use host_api::MountedBinaryResult;
pub use host_api::{get_call_parameters, CallParameters, SecurityTetraplet};
#[cfg(not(marine_sdk_flat_call_parameters))]
pub use host_api::ParticleParameters;
pub use logger::{LoggerError, TargetMap, WasmLoggerBuilder};
pub use marine_rs_sdk_macro::marine;
/// The old name of [`marine`], kept so services written for `fce` still build.
pub use marine_rs_sdk_macro::marine as fce;
pub use mounted_binary::{MountedBinaryStringResult, BINARY_SUCCESS_CODE, SUCCESS_CODE};

/// Support code for what `#[marine]` generates; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::*;
    pub use crate::manifest::{manifest_bytes, manifest_len};
}
