use marine_rs_sdk::marine;

pub fn main() {}

/// Greets `name`.
#[marine]
pub fn greeting(name: String) -> String {
    format!("Hi, {}", name)
}
