//! Call parameters a test passes to the `_cp` variants, in the shape of the marine-rs-sdk-test
//! release this crate is built as (see build.rs): flat fields up to 0.13 (`worker_id` from 0.13),
//! the particle's fields under `particle` from 0.14; the tetraplet's lens is `json_path` up to
//! 0.13, `lambda` in 0.14, `lens` after. Whatever the shape, the host is sent its own (0.14's),
//! so code written against any release runs unchanged.

use crate::internal::ToJson;
use crate::json::Value;

/// The particle a call belongs to.
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

/// Where one argument of a call came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityTetraplet {
    pub peer_pk: String,
    pub service_id: String,
    pub function_name: String,
    #[cfg(marine_test_tetraplet_json_path)]
    pub json_path: String,
    #[cfg(marine_test_tetraplet_lambda)]
    pub lambda: String,
    #[cfg(marine_test_tetraplet_lens)]
    pub lens: String,
}

impl SecurityTetraplet {
    /// The part of the result the argument is, whatever this release calls the field.
    fn lens_text(&self) -> &str {
        #[cfg(marine_test_tetraplet_json_path)]
        return &self.json_path;
        #[cfg(marine_test_tetraplet_lambda)]
        return &self.lambda;
        #[cfg(marine_test_tetraplet_lens)]
        return &self.lens;
    }
}

/// The parameters of one call. Empty identity fields (`service_id`, `service_creator_peer_id`,
/// `host_id`, `worker_id`) leave the service's own; others become the service's identity.
#[cfg(not(marine_test_flat_call_parameters))]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallParameters {
    pub particle: ParticleParameters,
    pub service_id: String,
    pub service_creator_peer_id: String,
    pub host_id: String,
    pub worker_id: String,
    pub tetraplets: Vec<Vec<SecurityTetraplet>>,
}

/// The parameters of one call, in the flat shape of marine-rs-sdk 0.10–0.12. Empty identity
/// fields (`service_id`, `service_creator_peer_id`, `host_id`) leave the service's own; others
/// become the service's identity.
#[cfg(marine_test_flat_call_parameters)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallParameters {
    pub init_peer_id: String,
    pub service_id: String,
    pub service_creator_peer_id: String,
    pub host_id: String,
    #[cfg(marine_test_worker_id)]
    pub worker_id: String,
    pub particle_id: String,
    pub tetraplets: Vec<Vec<SecurityTetraplet>>,
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

impl ToJson for SecurityTetraplet {
    fn to_json(&self) -> Value {
        object(vec![
            ("peer_pk", self.peer_pk.to_json()),
            ("service_id", self.service_id.to_json()),
            ("function_name", self.function_name.to_json()),
            ("lens", self.lens_text().to_json()),
        ])
    }
}

impl CallParameters {
    /// The particle's fields, in the host's shape.
    #[cfg(not(marine_test_flat_call_parameters))]
    fn particle_json(&self) -> Value {
        self.particle.to_json()
    }

    /// The particle's fields, in the host's shape (the flat shape has only its id and initiator).
    #[cfg(marine_test_flat_call_parameters)]
    fn particle_json(&self) -> Value {
        ParticleParameters {
            id: self.particle_id.clone(),
            init_peer_id: self.init_peer_id.clone(),
            ..ParticleParameters::default()
        }
        .to_json()
    }

    fn worker_id_text(&self) -> &str {
        #[cfg(any(not(marine_test_flat_call_parameters), marine_test_worker_id))]
        return &self.worker_id;
        #[cfg(all(marine_test_flat_call_parameters, not(marine_test_worker_id)))]
        return "";
    }
}

impl ToJson for CallParameters {
    fn to_json(&self) -> Value {
        object(vec![
            ("particle", self.particle_json()),
            ("service_id", self.service_id.to_json()),
            ("service_creator_peer_id", self.service_creator_peer_id.to_json()),
            ("host_id", self.host_id.to_json()),
            ("worker_id", self.worker_id_text().to_json()),
            ("tetraplets", self.tetraplets.to_json()),
        ])
    }
}
