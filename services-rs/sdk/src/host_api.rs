//! What the host tells a module about the current call, the records the SDK declares, and the
//! allocator the host uses.
//!
//! These items live in one Rust module on purpose: rustc puts a module's items in one object
//! file, and the linker pulls that object in for `cabi_realloc` and the import shims (every
//! module exports them), so the interface entries of every record and host import declared
//! here are always present together.

use crate::abi::alloc_realloc;
use crate::marine;

/// Runs the module's static constructors (WASI environment, preopened directories) once.
///
/// Exporting `_initialize` makes the linker build a *reactor*: without it, wasm-ld wraps every
/// export in code that runs the constructors and destructors again on each call. The host calls
/// it once, after instantiation and before any other export.
///
/// # Safety
/// Called only by the host, once.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn _initialize() {
    extern "C" {
        fn __wasm_call_ctors();
    }
    __wasm_call_ctors()
}

/// The allocator the host uses to put values into this module's memory (Canonical ABI).
///
/// # Safety
/// Called only by the host, with `old_ptr`/`old_size`/`align` of a live allocation or 0/0.
// Exported by name in Wasm only: natively (tests) two SDK releases may be linked into one binary
// (a service's and marine-rs-sdk-test's), and their symbols must not clash.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    alloc_realloc(old_ptr, old_size, align, new_size)
}

// The shapes of `SecurityTetraplet` and `CallParameters` changed between marine-rs-sdk releases;
// build.rs sets the cfgs from this crate's version (see sdk-compat/ for the older versions), so
// service code written against any of them builds unchanged, and the host fills every shape.

/// Where a value came from: the peer, service and function that produced it, and the lens
/// applied to the result (e.g. `.$.field.[0]`).
#[cfg(marine_sdk_tetraplet_lens)]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SecurityTetraplet {
    /// Peer id of the peer that produced the value.
    pub peer_pk: String,
    /// Service that produced it (empty for literals).
    pub service_id: String,
    /// Function that produced it (empty for literals).
    pub function_name: String,
    /// Lens applied to the function's result.
    pub lens: String,
}

/// Where a value came from (marine-rs-sdk 0.13 shape: the lens is called `lambda`).
#[cfg(marine_sdk_tetraplet_lambda)]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SecurityTetraplet {
    /// Peer id of the peer that produced the value.
    pub peer_pk: String,
    /// Service that produced it (empty for literals).
    pub service_id: String,
    /// Function that produced it (empty for literals).
    pub function_name: String,
    /// Lens applied to the function's result.
    pub lambda: String,
}

/// Where a value came from (marine-rs-sdk 0.10–0.12 shape: the lens is called `json_path`).
#[cfg(marine_sdk_tetraplet_json_path)]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SecurityTetraplet {
    /// Peer id of the peer that produced the value.
    pub peer_pk: String,
    /// Service that produced it (empty for literals).
    pub service_id: String,
    /// Function that produced it (empty for literals).
    pub function_name: String,
    /// Lens applied to the function's result.
    pub json_path: String,
}

/// The particle that caused this call.
#[cfg(not(marine_sdk_flat_call_parameters))]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParticleParameters {
    /// Particle id.
    pub id: String,
    /// Peer id of the peer that started the particle.
    pub init_peer_id: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Time to live, milliseconds.
    pub ttl: u32,
    /// The AIR script.
    pub script: String,
    /// The init peer's signature of the particle.
    pub signature: Vec<u8>,
    /// Opaque token the host may hand out for this particle.
    pub token: String,
}

/// Everything the host knows about the current call.
#[cfg(not(marine_sdk_flat_call_parameters))]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallParameters {
    /// The particle.
    pub particle: ParticleParameters,
    /// Id of the service being called.
    pub service_id: String,
    /// Peer id of the service's creator.
    pub service_creator_peer_id: String,
    /// Peer id of the host running the service.
    pub host_id: String,
    /// Id of the worker the service belongs to.
    pub worker_id: String,
    /// One list of tetraplets per argument of the call.
    pub tetraplets: Vec<Vec<SecurityTetraplet>>,
}

/// Everything the host knows about the current call (marine-rs-sdk 0.11–0.12 shape: flat).
#[cfg(all(marine_sdk_flat_call_parameters, marine_sdk_worker_id))]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallParameters {
    /// Peer id of the peer that started the particle.
    pub init_peer_id: String,
    /// Id of the service being called.
    pub service_id: String,
    /// Peer id of the service's creator.
    pub service_creator_peer_id: String,
    /// Peer id of the host running the service.
    pub host_id: String,
    /// Id of the worker the service belongs to.
    pub worker_id: String,
    /// Particle id.
    pub particle_id: String,
    /// One list of tetraplets per argument of the call.
    pub tetraplets: Vec<Vec<SecurityTetraplet>>,
}

/// Everything the host knows about the current call (marine-rs-sdk 0.10 shape: flat).
#[cfg(all(marine_sdk_flat_call_parameters, not(marine_sdk_worker_id)))]
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallParameters {
    /// Peer id of the peer that started the particle.
    pub init_peer_id: String,
    /// Id of the service being called.
    pub service_id: String,
    /// Peer id of the service's creator.
    pub service_creator_peer_id: String,
    /// Peer id of the host running the service.
    pub host_id: String,
    /// Particle id.
    pub particle_id: String,
    /// One list of tetraplets per argument of the call.
    pub tetraplets: Vec<Vec<SecurityTetraplet>>,
}

/// The outcome of running a mounted binary: its exit code and output, or why the host could
/// not run it (`error` non-empty).
#[marine]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountedBinaryResult {
    /// Exit status of the binary, or a host error code (>= 100000) when it did not run.
    pub ret_code: i32,
    /// Why the host could not run the binary; empty when it ran.
    pub error: String,
    /// What the binary wrote to stdout.
    pub stdout: Vec<u8>,
    /// What the binary wrote to stderr.
    pub stderr: Vec<u8>,
}

#[marine]
#[link(wasm_import_module = "marine_host_api")]
extern "C" {
    /// The parameters of the call in progress: particle, service and host ids, and the
    /// tetraplets of every argument.
    pub fn get_call_parameters() -> CallParameters;

    /// Writes a log record (level 1 error … 5 trace) through the host's logger.
    pub(crate) fn log_utf8_string(level: i32, target: i32, msg: String);
}
