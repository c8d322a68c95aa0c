// `marine test` on a crate written for an older marine-rs-sdk-test (0.11, as Fluence's published
// examples are), outside this repository: its dependency lines keep their version numbers (the
// crate comes from services-rs/sdk-test-compat), CallParameters and SecurityTetraplet have that
// release's flat shape (`init_peer_id`, `particle_id`, `json_path`), `fce_test` is the old name of
// the attribute, the types are marine-rs-sdk's own (a tetraplet built with either crate's type
// fits), tetraplets reach the service even when they do not match its arguments, the attribute's `modules_dir` is honoured when the Config.toml has none (before
// 0.10), and the build.rs form (`generate_marine_test_env` + `include_test_env!`) works. One crate,
// one cargo build, in the repository's target dir (see rust-crates.ts).
import t from 'tap';
import { join } from 'node:path';
import { artifacts, marineTest, root, writeCrate } from './rust-crates.js';

const compat = join(root, 'services-rs/sdk-test-compat/v0.11');
const sdk = join(root, 'services-rs/sdk-compat/v0.10');

const MANIFEST = `[package]
name = "compat_demo"
version = "0.1.0"
edition = "2018"

[workspace]

[dependencies]
marine-rs-sdk = { path = ${JSON.stringify(sdk)}, version = "0.10.1" }

[dev-dependencies]
marine-rs-sdk-test = { path = ${JSON.stringify(compat)}, version = "0.11.0" }

[build-dependencies]
marine-rs-sdk-test = { path = ${JSON.stringify(compat)}, version = "0.11.0" }
`;

// No modules_dir: the modules are where the attribute (or ServiceDescription) says.
const CONFIG = `[[module]]
name = "styles_store"
logger_enabled = true

[[module]]
name = "styles_v0_10"
logger_enabled = true
`;

const BUILD_RS = `use marine_rs_sdk_test::{generate_marine_test_env, ServiceDescription};

fn main() {
    let services = vec![(
        "styles".to_string(),
        ServiceDescription { config_path: "Config.toml".to_string(), modules_dir: Some(${JSON.stringify(artifacts)}.to_string()) },
    )];
    if std::env::var("CARGO_CFG_TARGET_ARCH").unwrap() != "wasm32" {
        generate_marine_test_env(services, "marine_test_env.rs", file!());
    }
    println!("cargo:rerun-if-changed=src/lib.rs");
}
`;

const LIB_RS = `#[cfg(test)]
mod flat {
    use marine_rs_sdk_test::{fce_test, CallParameters, SecurityTetraplet};

    fn cp() -> CallParameters {
        // The SDK's own type, as Marine's older tests build it: the test crate's is the same one.
        let mut tetraplet = marine_rs_sdk::SecurityTetraplet::default();
        tetraplet.peer_pk = "peer-2".to_string();
        tetraplet.service_id = "src".to_string();
        tetraplet.function_name = "f".to_string();
        tetraplet.json_path = ".$.a".to_string();
        CallParameters {
            init_peer_id: "peer-1".to_string(),
            service_id: "svc".to_string(),
            service_creator_peer_id: "owner".to_string(),
            host_id: "host".to_string(),
            particle_id: "particle-1".to_string(),
            tetraplets: vec![vec![tetraplet], vec![SecurityTetraplet::default()]],
        }
    }

    #[fce_test(config_path = "../Config.toml", modules_dir = ${JSON.stringify(artifacts)})]
    fn flat_call_parameters_reach_the_service(styles_v0_10: marine_test_env::styles_v0_10::ModuleInterface) {
        let seen = styles_v0_10.call_parameters_cp(cp());
        assert_eq!(seen.init_peer_id, "peer-1");
        assert_eq!(seen.particle_id, "particle-1");
        assert_eq!(seen.service_creator_peer_id, "owner");
        assert_eq!(seen.tetraplets[0][0].json_path, ".$.a");
        assert_eq!(styles_v0_10.origin_cp("x".to_string(), cp()), "peer-2/src/f/.$.a by owner");
    }

    #[marine_rs_sdk_test::marine_test(config_path = "../Config.toml", modules_dir = ${JSON.stringify(artifacts)})]
    fn records_named_result(styles_v0_10: marine_test_env::styles_v0_10::ModuleInterface) {
        let stored = styles_v0_10.remember_cp("v1".to_string(), cp());
        assert!(stored.success, "{:?}", stored);
        let back = styles_v0_10.recall("peer-1".to_string());
        assert_eq!((back.field_0.as_str(), back.field_1.as_str()), ("peer-1", "v1"));
    }
}

#[cfg(test)]
mod built {
    marine_rs_sdk_test::include_test_env!("/marine_test_env.rs");

    #[test]
    fn through_build_rs() {
        let mut styles = marine_test_env::styles::ServiceInterface::new();
        let cp = marine_rs_sdk_test::CallParameters { init_peer_id: "peer-3".to_string(), ..Default::default() };
        assert!(styles.remember_cp("v3".to_string(), cp).success);
        let got = styles.modules.styles_store.get("peer-3".to_string());
        assert_eq!(got.field_1, "v3");
        let missing: marine_test_env::styles::Result = styles.recall("nobody".to_string());
        assert!(!missing.success);
    }
}
`;

t.test('a crate written for marine-rs-sdk-test 0.11 passes unchanged', async (t) => {
  const dir = writeCrate('compat_demo', {
    'Cargo.toml': MANIFEST,
    'Config.toml': CONFIG,
    'build.rs': BUILD_RS,
    'src/lib.rs': LIB_RS,
  });
  const r = await marineTest(t, dir);
  const out = r.out;
  if (r.code !== 0) t.comment(out.slice(-6000));
  t.equal(r.code, 0, 'cargo test passes');
  for (const test of [
    'flat::flat_call_parameters_reach_the_service',
    'flat::records_named_result',
    'built::through_build_rs',
  ])
    t.match(out, new RegExp(`test ${test} \\.\\.\\. ok`), test);
  t.match(out, /test result: ok\. 3 passed; 0 failed/);
});
