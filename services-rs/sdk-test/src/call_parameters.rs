//! Call parameters a test passes to the `_cp` variants: marine-rs-sdk's own types (as in Marine,
//! where the test runtime re-exports the SDK's, so a test may build tetraplets with either
//! crate's type), in the shape of the marine-rs-sdk release this crate's release was built on
//! (see build.rs): flat fields up to 0.13 (`worker_id` from 0.13), the particle's fields under
//! `particle` from 0.14; the tetraplet's lens is `json_path` up to 0.13, `lambda` in 0.14, `lens`
//! after. Whatever the shape, the host is sent its own (0.14's), so code written against any
//! release runs unchanged.

use crate::internal::ToJson;
use crate::json::Value;

pub use marine_rs_sdk::{CallParameters, SecurityTetraplet};

#[cfg(not(marine_test_flat_call_parameters))]
pub use marine_rs_sdk::ParticleParameters;

/// The particle a call belongs to (the SDK releases with flat call parameters have no such type).
#[cfg(marine_test_flat_call_parameters)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParticleParameters {
    pub id: String,
    pub init_peer_id: String,
    pub timestamp: u64,
    pub ttl: u32,
    pub script: String,
    pub signature: Vec<u8>,
    pub token: String,
}

fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

impl ToJson for ParticleParameters {
    fn to_json(&self) -> Value {
        object(vec![
            ("id", self.id.to_json()),
            ("init_peer_id", self.init_peer_id.to_json()),
            ("timestamp", self.timestamp.to_json()),
            ("ttl", self.ttl.to_json()),
            ("script", self.script.to_json()),
            ("signature", self.signature.to_json()),
            ("token", self.token.to_json()),
        ])
    }
}

/// The part of the result the argument is, whatever this release calls the field.
fn lens_text(t: &SecurityTetraplet) -> &str {
    #[cfg(marine_test_tetraplet_json_path)]
    return &t.json_path;
    #[cfg(marine_test_tetraplet_lambda)]
    return &t.lambda;
    #[cfg(marine_test_tetraplet_lens)]
    return &t.lens;
}

impl ToJson for SecurityTetraplet {
    fn to_json(&self) -> Value {
        object(vec![
            ("peer_pk", self.peer_pk.to_json()),
            ("service_id", self.service_id.to_json()),
            ("function_name", self.function_name.to_json()),
            ("lens", lens_text(self).to_json()),
        ])
    }
}

/// The particle's fields, in the host's shape.
#[cfg(not(marine_test_flat_call_parameters))]
fn particle_json(cp: &CallParameters) -> Value {
    cp.particle.to_json()
}

/// The particle's fields, in the host's shape (the flat shape has only its id and initiator).
#[cfg(marine_test_flat_call_parameters)]
fn particle_json(cp: &CallParameters) -> Value {
    ParticleParameters {
        id: cp.particle_id.clone(),
        init_peer_id: cp.init_peer_id.clone(),
        ..ParticleParameters::default()
    }
    .to_json()
}

fn worker_id_text(cp: &CallParameters) -> &str {
    #[cfg(any(not(marine_test_flat_call_parameters), marine_test_worker_id))]
    return &cp.worker_id;
    #[cfg(all(marine_test_flat_call_parameters, not(marine_test_worker_id)))]
    return {
        let _ = cp;
        ""
    };
}

impl ToJson for CallParameters {
    fn to_json(&self) -> Value {
        object(vec![
            ("particle", particle_json(self)),
            ("service_id", self.service_id.to_json()),
            ("service_creator_peer_id", self.service_creator_peer_id.to_json()),
            ("host_id", self.host_id.to_json()),
            ("worker_id", worker_id_text(self).to_json()),
            ("tetraplets", self.tetraplets.to_json()),
        ])
    }
}
