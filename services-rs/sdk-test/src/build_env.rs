//! The build.rs form of `#[marine_test]`: `generate_marine_test_env` writes the multi-service
//! `marine_test_env` into `OUT_DIR`, for `include_test_env!` to include in the tests.

use crate::codegen::{environment, locate};
use std::path::{Path, PathBuf};

/// Where a service is, as the multi-service `#[marine_test]` takes it: its Config.toml and,
/// optionally, the directory holding its modules (used when it holds them all), both relative
/// to the directory of the build script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceDescription {
    pub config_path: String,
    pub modules_dir: Option<String>,
}

/// Writes `marine_test_env` for `services` (each `(name, description)`) into `OUT_DIR/filename`.
/// `build_rs_file_path` is the build script's `file!()`: paths are relative to its directory.
/// Panics, failing the build, when a service cannot be read (its modules not built, a wrong path).
pub fn generate_marine_test_env(
    services: impl IntoIterator<Item = (String, ServiceDescription)>,
    filename: &str,
    build_rs_file_path: &str,
) {
    let services: Vec<(String, ServiceDescription)> = services.into_iter().collect();
    let configs: Vec<&str> = services.iter().map(|(_, s)| s.config_path.as_str()).collect();
    let base = base_dir(build_rs_file_path, &configs);
    let located: Vec<_> =
        services.into_iter().map(|(name, s)| (name, locate(&base, &s.config_path, s.modules_dir.as_deref()))).collect();
    // Rebuild the tests' environment when a config or a module changes, or the toolkit moves.
    for (_, service) in &located {
        println!("cargo:rerun-if-changed={}", service.config.display());
        let modules: Vec<PathBuf> = match &service.modules_dir {
            Some(dir) => {
                crate::interface::module_file_names(&service.config).into_iter().map(|n| dir.join(n)).collect()
            }
            None => crate::interface::module_files(&service.config),
        };
        for module in modules {
            println!("cargo:rerun-if-changed={}", module.display());
        }
    }
    println!("cargo:rerun-if-env-changed=MARINE_TS_ROOT");
    let tokens = environment(located).unwrap_or_else(|e| panic!("marine_test_env generation error: {}", e));
    let out_dir =
        std::env::var_os("OUT_DIR").expect("cannot write marine_test_env: OUT_DIR is not set (run from build.rs)");
    let dest = Path::new(&out_dir).join(filename.trim_start_matches('/'));
    std::fs::write(&dest, tokens.to_string())
        .unwrap_or_else(|e| panic!("cannot write marine_test_env to {}: {}", dest.display(), e));
}

/// The build script's directory, absolute. `file!()` is relative to the package or, in a
/// workspace, to the workspace's root, so the candidates are tried in turn: the first from which
/// every config exists wins.
fn base_dir(build_rs_file_path: &str, configs: &[&str]) -> PathBuf {
    let dir = Path::new(build_rs_file_path).parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.is_absolute() {
        return dir;
    }
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let candidates: Vec<PathBuf> =
        std::iter::once(manifest.clone()).chain(manifest.ancestors().map(|a| a.join(&dir))).collect();
    candidates.iter().find(|c| configs.iter().all(|config| c.join(config).is_file())).cloned().unwrap_or(manifest)
}
