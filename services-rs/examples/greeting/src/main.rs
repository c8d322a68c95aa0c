use marine_rs_sdk::marine;

pub fn main() {}

marine_rs_sdk::module_manifest!();

/// Greets `name`.
#[marine]
pub fn greeting(name: String) -> String {
    format!("Hi, {}", name)
}

// Tested as Fluence services test themselves: `#[marine_test]` generates a typed interface of
// the built module and calls it through the marine-ts host (`marine test` builds it first).
#[cfg(test)]
mod tests {
    use marine_rs_sdk_test::marine_test;
    use marine_rs_sdk_test::{CallParameters, ParticleParameters};

    #[marine_test(config_path = "../Config.toml", modules_dir = "../../../artifacts")]
    fn greets_by_name(greeting: marine_test_env::greeting::ModuleInterface) {
        assert_eq!(greeting.greeting("Marine".to_string()), "Hi, Marine");
    }

    #[marine_test(config_path = "../Config.toml")]
    fn greets_nobody(greeting: marine_test_env::greeting::ModuleInterface) {
        assert_eq!(greeting.greeting(String::new()), "Hi, ");
    }

    #[marine_test(config_path = "../Config.toml")]
    fn greets_with_call_parameters(greeting: marine_test_env::greeting::ModuleInterface) {
        let cp = CallParameters {
            particle: ParticleParameters { init_peer_id: "peer-1".to_string(), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(greeting.greeting_cp("cp".to_string(), cp), "Hi, cp");
    }
}
