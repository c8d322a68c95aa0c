//! `#[marine_test]` for marine-ts: generates the typed `marine_test_env` of the services a test
//! names, from their built modules' interfaces, with calls that go to the marine-ts host.
//!
//! Forms, as in marine-rs-sdk-test:
//! - `#[marine_test(config_path = "../Config.toml", modules_dir = "../artifacts")]` on a
//!   function whose arguments are `marine_test_env::<module>::ModuleInterface`s;
//! - `#[marine_test(producer(config_path = …), consumer(config_path = …))]` on a function or a
//!   module, whose code creates `marine_test_env::<service>::ServiceInterface::new()`.
//!
//! `config_path` and `modules_dir` are relative to the test's source file. The modules load from
//! `modules_dir` when it holds every module the config names (marine-rs-sdk-test before 0.10),
//! else from the config's own `modules_dir` (later releases, which ignore the attribute).

extern crate proc_macro;

mod interface;
#[path = "../../sdk-test/src/json.rs"]
#[allow(dead_code)]
mod json;

mod codegen;

use syn::{parse_macro_input, AttributeArgs};

/// Generates `marine_test_env` and the test around the item (see the crate's documentation).
#[proc_macro_attribute]
pub fn marine_test(attrs: proc_macro::TokenStream, input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let args = parse_macro_input!(attrs as AttributeArgs);
    let item = parse_macro_input!(input as syn::Item);
    match codegen::expand(args, item) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}
