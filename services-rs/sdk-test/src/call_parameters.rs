//! Call parameters a test passes to the `_cp` variants, in marine-rs-sdk 0.14's shape (the one
//! the host speaks): the particle's fields under `particle`, the service's identity beside it.

use crate::internal::{field, FromJson, ToJson};
use crate::json::{JsonError, Value};

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
    pub lens: String,
}

/// The parameters of one call. Empty identity fields (`service_id`, `service_creator_peer_id`,
/// `host_id`, `worker_id`) leave the service's own; others become the service's identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallParameters {
    pub particle: ParticleParameters,
    pub service_id: String,
    pub service_creator_peer_id: String,
    pub host_id: String,
    pub worker_id: String,
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

impl FromJson for ParticleParameters {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let r = "ParticleParameters";
        Ok(Self {
            id: field(v, r, "id")?,
            init_peer_id: field(v, r, "init_peer_id")?,
            timestamp: field(v, r, "timestamp")?,
            ttl: field(v, r, "ttl")?,
            script: field(v, r, "script")?,
            signature: field(v, r, "signature")?,
            token: field(v, r, "token")?,
        })
    }
}

impl ToJson for SecurityTetraplet {
    fn to_json(&self) -> Value {
        object(vec![
            ("peer_pk", self.peer_pk.to_json()),
            ("service_id", self.service_id.to_json()),
            ("function_name", self.function_name.to_json()),
            ("lens", self.lens.to_json()),
        ])
    }
}

impl FromJson for SecurityTetraplet {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let r = "SecurityTetraplet";
        Ok(Self {
            peer_pk: field(v, r, "peer_pk")?,
            service_id: field(v, r, "service_id")?,
            function_name: field(v, r, "function_name")?,
            lens: field(v, r, "lens")?,
        })
    }
}

impl ToJson for CallParameters {
    fn to_json(&self) -> Value {
        object(vec![
            ("particle", self.particle.to_json()),
            ("service_id", self.service_id.to_json()),
            ("service_creator_peer_id", self.service_creator_peer_id.to_json()),
            ("host_id", self.host_id.to_json()),
            ("worker_id", self.worker_id.to_json()),
            ("tetraplets", self.tetraplets.to_json()),
        ])
    }
}

impl FromJson for CallParameters {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let r = "CallParameters";
        Ok(Self {
            particle: field(v, r, "particle")?,
            service_id: field(v, r, "service_id")?,
            service_creator_peer_id: field(v, r, "service_creator_peer_id")?,
            host_id: field(v, r, "host_id")?,
            worker_id: field(v, r, "worker_id")?,
            tetraplets: field(v, r, "tetraplets")?,
        })
    }
}
