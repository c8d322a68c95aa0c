//! `marine-rs-sdk-test` for marine-ts: `#[marine_test]` and the runtime its generated code uses.
//!
//! ```ignore
//! #[marine_test(config_path = "../Config.toml", modules_dir = "../artifacts")]
//! fn greets(greeting: marine_test_env::greeting::ModuleInterface) {
//!     assert_eq!(greeting.greeting("Rust".to_string()), "Hi, Rust");
//! }
//! ```
//!
//! At compile time the macro reads the built modules' interfaces (`marine it --json --all`) and
//! generates the typed `marine_test_env`; at run time every call goes to the marine-ts host:
//! one `marine serve` process per service per test, spoken to in JSON lines. No Wasm runs in
//! Rust. The toolkit is found through `MARINE_TS_ROOT` (`marine test` sets it), else the
//! checkout or package this crate sits in; Node through `MARINE_NODE`, else `node`.
//!
//! The build.rs form of marine-rs-sdk-test 0.4+ works too: `generate_marine_test_env` in
//! `build.rs` writes the same `marine_test_env` into `OUT_DIR`, and `include_test_env!` includes it.
//!
//! This crate's version says which marine-rs-sdk-test release it stands in for (0.16 here,
//! `sdk-test-compat/v0.x` for older ones): `CallParameters` and `SecurityTetraplet` take that
//! release's shape (see build.rs).

#![forbid(unsafe_code)]

mod build_env;
mod call_parameters;
#[allow(dead_code)]
#[path = "../../sdk-test-macro/src/codegen.rs"]
mod codegen;
#[allow(dead_code)]
#[path = "../../sdk-test-macro/src/interface.rs"]
mod interface;
mod json;
mod service;

pub use build_env::{generate_marine_test_env, ServiceDescription};
pub use call_parameters::{CallParameters, ParticleParameters, SecurityTetraplet};
pub use marine_test_macro::marine_test;
/// The attribute's name before Fluence's FCE became Marine (marine-rs-sdk-test 0.4–0.8 export it).
pub use marine_test_macro::marine_test as fce_test;

/// Includes the `marine_test_env` that `generate_marine_test_env` wrote in build.rs:
/// `include_test_env!("/marine_test_env.rs")` (the file name, after a `/`, in `OUT_DIR`).
#[macro_export]
macro_rules! include_test_env {
    ($filename:expr) => {
        include!(concat!(env!("OUT_DIR"), $filename));
    };
}

/// What the generated code uses. Not for tests to call directly.
pub mod internal {
    pub use crate::json::{JsonError, Value};
    pub use crate::service::{toolkit_root, AppService};

    /// A value the generated code sends to a service as JSON.
    pub trait ToJson {
        /// The value as JSON.
        fn to_json(&self) -> Value;
    }

    /// A value the generated code reads from a service's JSON result.
    pub trait FromJson: Sized {
        /// The value from JSON, or what was wrong with it.
        fn from_json(value: &Value) -> Result<Self, JsonError>;
    }

    /// The member `name` of record `record` (an object), converted.
    pub fn field<T: FromJson>(value: &Value, record: &str, name: &str) -> Result<T, JsonError> {
        match value {
            Value::Object(_) => match value.get(name) {
                Some(v) => T::from_json(v).map_err(|e| JsonError(format!("{}.{}: {}", record, name, e))),
                None => Err(JsonError(format!("{}: expected field `{}`, found none", record, name))),
            },
            other => Err(JsonError(format!("{}: expected an object, found {}", record, other.kind()))),
        }
    }

    /// Converts a call's result to the function's return type, panicking like Marine's test
    /// runtime does when the service returns something else.
    pub fn result<T: FromJson>(value: &Value, function: &str) -> T {
        T::from_json(value).unwrap_or_else(|e| {
            panic!("the result of {} does not have its declared type: {} (result: {})", function, e, value)
        })
    }

    impl ToJson for bool {
        fn to_json(&self) -> Value {
            Value::Bool(*self)
        }
    }

    impl FromJson for bool {
        fn from_json(value: &Value) -> Result<Self, JsonError> {
            match value {
                Value::Bool(b) => Ok(*b),
                other => Err(JsonError(format!("expected a boolean, found {}", other.kind()))),
            }
        }
    }

    macro_rules! integers {
        ($($t:ty),*) => {$(
            impl ToJson for $t {
                fn to_json(&self) -> Value {
                    Value::Number(self.to_string())
                }
            }
            impl FromJson for $t {
                fn from_json(value: &Value) -> Result<Self, JsonError> {
                    match value {
                        Value::Number(n) => n.parse::<$t>().map_err(|_| {
                            JsonError(format!("expected {}, found {}", stringify!($t), n))
                        }),
                        other => Err(JsonError(format!("expected {}, found {}", stringify!($t), other.kind()))),
                    }
                }
            }
        )*};
    }
    integers!(u8, u16, u32, u64, i8, i16, i32, i64);

    macro_rules! floats {
        ($($t:ty),*) => {$(
            impl ToJson for $t {
                fn to_json(&self) -> Value {
                    // `{:?}` keeps a float a float (7.0, not 7); JSON has no NaN or infinities.
                    if self.is_finite() { Value::Number(format!("{:?}", self)) } else { Value::Null }
                }
            }
            impl FromJson for $t {
                fn from_json(value: &Value) -> Result<Self, JsonError> {
                    match value {
                        Value::Number(n) => n.parse::<$t>().map_err(|_| {
                            JsonError(format!("expected {}, found {}", stringify!($t), n))
                        }),
                        other => Err(JsonError(format!("expected {}, found {}", stringify!($t), other.kind()))),
                    }
                }
            }
        )*};
    }
    floats!(f32, f64);

    impl ToJson for String {
        fn to_json(&self) -> Value {
            Value::String(self.clone())
        }
    }

    impl ToJson for &str {
        fn to_json(&self) -> Value {
            Value::String((*self).to_string())
        }
    }

    impl FromJson for String {
        fn from_json(value: &Value) -> Result<Self, JsonError> {
            match value {
                Value::String(s) => Ok(s.clone()),
                other => Err(JsonError(format!("expected a string, found {}", other.kind()))),
            }
        }
    }

    impl<T: ToJson> ToJson for Vec<T> {
        fn to_json(&self) -> Value {
            Value::Array(self.iter().map(ToJson::to_json).collect())
        }
    }

    impl<T: FromJson> FromJson for Vec<T> {
        fn from_json(value: &Value) -> Result<Self, JsonError> {
            match value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| T::from_json(v).map_err(|e| JsonError(format!("[{}]: {}", i, e))))
                    .collect(),
                other => Err(JsonError(format!("expected an array, found {}", other.kind()))),
            }
        }
    }
}
