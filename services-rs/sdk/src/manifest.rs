//! `module_manifest!`: build metadata in the module, in Marine's `__fluence_wasm_module_manifest`
//! layout (five fields, each a u64 little-endian length then the bytes: authors, version,
//! description, repository, build time).

/// Bytes the manifest of these fields takes.
#[doc(hidden)]
pub const fn manifest_len(fields: &[&str; 5]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < fields.len() {
        len += 8 + fields[i].len();
        i += 1;
    }
    len
}

/// The manifest section's bytes (`N` must be `manifest_len(fields)`).
#[doc(hidden)]
pub const fn manifest_bytes<const N: usize>(fields: &[&str; 5]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < fields.len() {
        let bytes = fields[i].as_bytes();
        let len = (bytes.len() as u64).to_le_bytes();
        let mut j = 0;
        while j < 8 {
            out[at] = len[j];
            at += 1;
            j += 1;
        }
        let mut k = 0;
        while k < bytes.len() {
            out[at] = bytes[k];
            at += 1;
            k += 1;
        }
        i += 1;
    }
    out
}

/// Embeds the crate's authors, version, description and repository (from Cargo.toml, or given
/// explicitly) into the module, where `marine info`-style tools read them. The build time is
/// taken from the `MARINE_BUILD_TIME` environment variable at compile time when set.
///
/// ```ignore
/// marine_rs_sdk::module_manifest!();
/// ```
#[macro_export]
macro_rules! module_manifest {
    ($authors:expr, $version:expr, $description:expr, $repository:expr) => {
        const _: () = {
            const FIELDS: [&str; 5] = [
                $authors,
                $version,
                $description,
                $repository,
                match ::core::option_env!("MARINE_BUILD_TIME") {
                    Some(time) => time,
                    None => "",
                },
            ];
            const LEN: usize = $crate::__private::manifest_len(&FIELDS);
            #[link_section = "__fluence_wasm_module_manifest"]
            #[used]
            static MANIFEST: [u8; LEN] = $crate::__private::manifest_bytes::<LEN>(&FIELDS);
        };
    };
    () => {
        $crate::module_manifest!(
            ::core::env!("CARGO_PKG_AUTHORS"),
            ::core::env!("CARGO_PKG_VERSION"),
            ::core::env!("CARGO_PKG_DESCRIPTION"),
            ::core::env!("CARGO_PKG_REPOSITORY")
        );
    };
}
