use marine_rs_sdk::{get_call_parameters, marine, CallParameters, SecurityTetraplet, WasmLoggerBuilder};

pub fn main() {}

/// The parameters of this very call, as the host gave them.
#[marine]
pub fn call_parameters() -> CallParameters {
    get_call_parameters()
}

/// The tetraplets of this call's arguments (one list per argument), so a test can pass a few
/// arguments and see where the host says each came from.
#[marine]
pub fn tetraplets(a: String, b: u32) -> Vec<Vec<SecurityTetraplet>> {
    let _ = (a, b);
    get_call_parameters().tetraplets
}

/// Who started the particle, logged at info level on the way.
#[marine]
pub fn init_peer_id() -> String {
    let _ = WasmLoggerBuilder::new().with_log_level(log::LevelFilter::Info).build();
    let cp = get_call_parameters();
    log::info!("called by {} in particle {}", cp.particle.init_peer_id, cp.particle.id);
    cp.particle.init_peer_id
}

// `_cp` variants in #[marine_test]: a test passes whole CallParameters (marine-rs-sdk 0.14's
// shape); a non-empty service_id, service_creator_peer_id, host_id or worker_id becomes the
// service's identity, as Marine's test runtime takes them as given.
#[cfg(test)]
mod tests {
    use marine_rs_sdk_test::marine_test;
    use marine_rs_sdk_test::{CallParameters, ParticleParameters, SecurityTetraplet};

    fn call_parameters() -> CallParameters {
        CallParameters {
            particle: ParticleParameters {
                id: "particle-1".to_string(),
                init_peer_id: "peer-1".to_string(),
                timestamp: 1_700_000_000_000,
                ttl: 5000,
                ..Default::default()
            },
            service_id: "svc-7".to_string(),
            service_creator_peer_id: "owner-1".to_string(),
            host_id: "host-1".to_string(),
            ..Default::default()
        }
    }

    #[marine_test(config_path = "../Config.toml", modules_dir = "../../../artifacts")]
    fn sees_call_parameters(call_params: marine_test_env::call_params::ModuleInterface) {
        let seen = call_params.call_parameters_cp(call_parameters());
        assert_eq!(seen.particle.id, "particle-1");
        assert_eq!(seen.particle.init_peer_id, "peer-1");
        assert_eq!(seen.particle.timestamp, 1_700_000_000_000);
        assert_eq!(seen.particle.ttl, 5000);
        assert_eq!(seen.service_id, "svc-7");
        assert_eq!(seen.service_creator_peer_id, "owner-1");
        assert_eq!(seen.host_id, "host-1");
        assert_eq!(call_params.init_peer_id_cp(call_parameters()), "peer-1");
        // Without call parameters the particle is empty.
        assert_eq!(call_params.init_peer_id(), "");
    }

    #[marine_test(config_path = "../Config.toml")]
    fn sees_tetraplets(call_params: marine_test_env::call_params::ModuleInterface) {
        let tetraplet = |f: &str| SecurityTetraplet {
            peer_pk: "peer-2".to_string(),
            service_id: "src".to_string(),
            function_name: f.to_string(),
            lens: ".$.x".to_string(),
        };
        let cp = CallParameters { tetraplets: vec![vec![tetraplet("a")], vec![tetraplet("b")]], ..call_parameters() };
        let seen = call_params.tetraplets_cp("a".to_string(), 2, cp);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1][0].function_name, "b");
        assert_eq!(seen[0][0].lens, ".$.x");
    }
}

// The multi-service form on a module: marine_test_env is generated inside it.
#[cfg(test)]
#[marine_rs_sdk_test::marine_test(
    call_params(config_path = "../Config.toml", modules_dir = "../../../artifacts"),
    greeting(config_path = "../../greeting/Config.toml")
)]
mod services_on_a_module {
    #[test]
    fn greets_the_init_peer() {
        let mut call_params = marine_test_env::call_params::ServiceInterface::new();
        let mut greeting = marine_test_env::greeting::ServiceInterface::new();
        let cp = marine_rs_sdk_test::CallParameters {
            particle: marine_rs_sdk_test::ParticleParameters {
                init_peer_id: "peer-9".to_string(),
                ..Default::default()
            },
            ..Default::default()
        };
        let who = call_params.init_peer_id_cp(cp);
        assert_eq!(greeting.greeting(who), "Hi, peer-9");
    }
}
