use marine_rs_sdk::marine;

pub fn main() {}

marine_rs_sdk::module_manifest!();

/// Greets `name`.
#[marine]
pub fn greeting(name: String) -> String {
    format!("Hi, {}", name)
}
