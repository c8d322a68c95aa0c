//! The code `#[marine_test]` and `generate_marine_test_env` (build.rs) generate: the typed
//! `marine_test_env` of the services a test names and the test around it. Shared as a source
//! file by the macro crate and marine-rs-sdk-test (whose build.rs form runs it in a build script).

use crate::interface::{self, Module, Record, Ty};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use syn::{AttributeArgs, Lit, Meta, NestedMeta};

/// Where a service is: the attribute's `config_path` and `modules_dir`, relative to the test's file.
struct ServiceDescription {
    config_path: String,
    modules_dir: Option<String>,
}

/// A service's Config.toml, and the directory its modules are loaded from when that is not the
/// config's own `modules_dir`.
pub(crate) struct Located {
    pub config: PathBuf,
    pub modules_dir: Option<PathBuf>,
}

/// Where the service of `config_path` (and the attribute's `modules_dir`), both relative to
/// `dir`, loads its modules from. marine-rs-sdk-test before 0.10 loaded them from `modules_dir`,
/// later releases from the config's own `modules_dir` (the attribute deprecated): the
/// attribute's directory is used when it holds every module the config names, so tests written
/// for either work unchanged.
pub(crate) fn locate(dir: &Path, config_path: &str, modules_dir: Option<&str>) -> Located {
    let joined = dir.join(config_path);
    let config = joined.canonicalize().unwrap_or(joined);
    let modules_dir = modules_dir.and_then(|m| {
        let joined = dir.join(m);
        let modules_dir = joined.canonicalize().unwrap_or(joined);
        let names = interface::module_file_names(&config);
        let holds_all = !names.is_empty() && names.iter().all(|n| modules_dir.join(n).is_file());
        if holds_all {
            Some(modules_dir)
        } else {
            None
        }
    });
    Located { config, modules_dir }
}

enum Attributes {
    Single(ServiceDescription),
    Multiple(Vec<(String, ServiceDescription)>),
}

fn error(message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(Span::call_site(), format!("#[marine_test]: {}", message))
}

fn description(items: &[NestedMeta]) -> Result<ServiceDescription, syn::Error> {
    let mut config_path = None;
    let mut modules_dir = None;
    for item in items {
        match item {
            NestedMeta::Meta(Meta::NameValue(nv)) => {
                let key = nv.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                let value = match &nv.lit {
                    Lit::Str(s) => s.value(),
                    _ => return Err(syn::Error::new_spanned(&nv.lit, "#[marine_test]: expected a string")),
                };
                match key.as_str() {
                    "config_path" => config_path = Some(value),
                    "modules_dir" => modules_dir = Some(value),
                    _ => {
                        return Err(syn::Error::new_spanned(
                            &nv.path,
                            format!("#[marine_test]: expected config_path or modules_dir, found {}", key),
                        ))
                    }
                }
            }
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "#[marine_test]: expected config_path = \"…\" (and optionally modules_dir = \"…\")",
                ))
            }
        }
    }
    config_path
        .map(|config_path| ServiceDescription { config_path, modules_dir })
        .ok_or_else(|| error("expected config_path = \"<path of the service's Config.toml>\""))
}

fn parse_attributes(args: AttributeArgs) -> Result<Attributes, syn::Error> {
    let multiple = !args.is_empty() && args.iter().all(|a| matches!(a, NestedMeta::Meta(Meta::List(_))));
    if !multiple {
        return description(&args).map(Attributes::Single);
    }
    let mut services = Vec::new();
    for arg in &args {
        if let NestedMeta::Meta(Meta::List(list)) = arg {
            let name = list
                .path
                .get_ident()
                .map(|i| i.to_string())
                .ok_or_else(|| syn::Error::new_spanned(&list.path, "#[marine_test]: expected a service name"))?;
            let items: Vec<NestedMeta> = list.nested.iter().cloned().collect();
            services.push((name, description(&items)?));
        }
    }
    services.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Attributes::Multiple(services))
}

pub(crate) fn expand(args: AttributeArgs, item: syn::Item) -> Result<TokenStream, syn::Error> {
    let attributes = parse_attributes(args)?;
    let (keyword, name) = match &item {
        syn::Item::Fn(f) => ("fn", f.sig.ident.to_string()),
        syn::Item::Mod(m) => ("mod", m.ident.to_string()),
        _ => return Err(error("expected a function or a module")),
    };
    let configs: Vec<&str> = match &attributes {
        Attributes::Single(s) => vec![s.config_path.as_str()],
        Attributes::Multiple(services) => services.iter().map(|(_, s)| s.config_path.as_str()).collect(),
    };
    let dir = if configs.iter().all(|c| Path::new(c).is_absolute()) {
        PathBuf::new()
    } else {
        interface::test_file_dir(keyword, &name, &configs).map_err(error)?
    };
    match attributes {
        Attributes::Single(service) => {
            let func = match item {
                syn::Item::Fn(f) => f,
                _ => {
                    return Err(error(
                        "the single-service form applies to a function; name services to use it on a module",
                    ))
                }
            };
            let located = locate(&dir, &service.config_path, service.modules_dir.as_deref());
            let modules = interface::service_modules(&located.config, located.modules_dir.as_deref()).map_err(error)?;
            single_service(func, &located, &modules)
        }
        Attributes::Multiple(services) => {
            let located = services
                .into_iter()
                .map(|(name, s)| (name, locate(&dir, &s.config_path, s.modules_dir.as_deref())))
                .collect();
            let env = environment(located).map_err(error)?;
            Ok(match item {
                syn::Item::Fn(func) => {
                    let attrs = test_attributes(&func.attrs);
                    let name = &func.sig.ident;
                    let output = &func.sig.output;
                    let block = &func.block;
                    quote! {
                        #(#attrs)*
                        #[test]
                        fn #name() #output {
                            #env
                            fn test_func() #output #block
                            test_func()
                        }
                    }
                }
                syn::Item::Mod(module) => {
                    let attrs = &module.attrs;
                    let vis = &module.vis;
                    let ident = &module.ident;
                    let items = module.content.map(|(_, items)| items).unwrap_or_default();
                    quote! {
                        #(#attrs)*
                        #vis mod #ident {
                            #env
                            #(#items)*
                        }
                    }
                }
                _ => unreachable!("checked above"),
            })
        }
    }
}

/// The function's attributes but `#[test]`, which the generated test carries once.
fn test_attributes(attrs: &[syn::Attribute]) -> Vec<&syn::Attribute> {
    attrs.iter().filter(|a| !a.path.is_ident("test")).collect()
}

/// An identifier for a name from the interface: `-` as `_`, a keyword as a raw identifier.
fn ident(name: &str) -> syn::Ident {
    let name = name.replace('-', "_");
    match syn::parse_str::<syn::Ident>(&name) {
        Ok(i) => i,
        Err(_) => syn::Ident::new_raw(&name, Span::call_site()),
    }
}

fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::Prim(p) => {
            let p = format_ident!("{}", p);
            quote! { #p }
        }
        Ty::String => quote! { ::std::string::String },
        Ty::Array(inner) => {
            let inner = rust_type(inner);
            quote! { ::std::vec::Vec<#inner> }
        }
        Ty::Record(name) => {
            let name = ident(name);
            quote! { #name }
        }
    }
}

/// Each record of each module: declared in the first module (in order) that has one of its name
/// and shape, and `pub use`d from there by the others (`path` makes the owner's path).
fn link_records<'a>(
    modules: impl Iterator<Item = (&'a str, &'a Module)>,
    owners: &mut HashMap<String, String>,
    path: impl Fn(&str, &str) -> TokenStream,
    declare: impl Fn(&Module, &Record) -> TokenStream,
) -> HashMap<String, Vec<TokenStream>> {
    let mut out = HashMap::new();
    for (scope, module) in modules {
        let mut items = Vec::new();
        for record in &module.records {
            let canonical = module.canonical(record);
            match owners.get(&canonical) {
                Some(owner) if owner != scope => items.push(path(owner, &record.name)),
                Some(_) => {}
                None => {
                    owners.insert(canonical, scope.to_string());
                    items.push(declare(module, record));
                }
            }
        }
        out.insert(scope.to_string(), items);
    }
    out
}

fn record_definition(record: &Record) -> TokenStream {
    let name = ident(&record.name);
    let name_text = &record.name;
    let fields: Vec<syn::Ident> = record.fields.iter().map(|(f, _)| ident(f)).collect();
    let field_texts: Vec<&String> = record.fields.iter().map(|(f, _)| f).collect();
    let types: Vec<TokenStream> = record.fields.iter().map(|(_, t)| rust_type(t)).collect();
    quote! {
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #name {
            #(pub #fields: #types,)*
        }
        impl marine_rs_sdk_test::internal::ToJson for #name {
            fn to_json(&self) -> marine_rs_sdk_test::internal::Value {
                marine_rs_sdk_test::internal::Value::Object(::std::vec![
                    #((::std::string::String::from(#field_texts), marine_rs_sdk_test::internal::ToJson::to_json(&self.#fields)),)*
                ])
            }
        }
        impl marine_rs_sdk_test::internal::FromJson for #name {
            fn from_json(
                value: &marine_rs_sdk_test::internal::Value,
            ) -> ::std::result::Result<Self, marine_rs_sdk_test::internal::JsonError> {
                ::std::result::Result::Ok(Self {
                    #(#fields: marine_rs_sdk_test::internal::field(value, #name_text, #field_texts)?,)*
                })
            }
        }
    }
}

/// The methods calling each function of `module` (plain and `_cp`), on a struct with a
/// `marine: Rc<RefCell<AppService>>` field.
fn methods(module: &Module) -> Vec<TokenStream> {
    let module_name = &module.name;
    let mut out = Vec::new();
    for f in &module.functions {
        let fname = &f.name;
        let qualified = format!("{}.{}", module.name, f.name);
        let args: Vec<syn::Ident> = f.args.iter().map(|(a, _)| ident(a)).collect();
        let types: Vec<TokenStream> = f.args.iter().map(|(_, t)| rust_type(t)).collect();
        let (ret, convert) = match &f.output {
            Some(ty) => {
                let ty = rust_type(ty);
                (quote! { -> #ty }, quote! { marine_rs_sdk_test::internal::result::<#ty>(&__result, #qualified) })
            }
            None => (quote! {}, quote! { let _ = __result; }),
        };
        for cp in [false, true] {
            let (method, cp_arg, cp_value) = if cp {
                (
                    ident(&format!("{}_cp", f.name)),
                    quote! { , cp: marine_rs_sdk_test::CallParameters },
                    quote! { ::std::option::Option::Some(&cp) },
                )
            } else {
                (ident(&f.name), quote! {}, quote! { ::std::option::Option::None })
            };
            out.push(quote! {
                pub fn #method(&mut self #(, #args: #types)* #cp_arg) #ret {
                    let __args = ::std::vec![#(marine_rs_sdk_test::internal::ToJson::to_json(&#args)),*];
                    let __result = ::std::cell::RefCell::borrow_mut(&self.marine)
                        .call_or_panic(#module_name, #fname, __args, #cp_value);
                    #convert
                }
            });
        }
    }
    out
}

const MARINE: &str = "::std::rc::Rc<::std::cell::RefCell<marine_rs_sdk_test::internal::AppService>>";

fn marine_type() -> TokenStream {
    MARINE.parse().expect("a valid type")
}

/// `pub mod <module> { records; ModuleInterface }` for each module of a service.
fn module_definitions(modules: &[Module]) -> Vec<TokenStream> {
    let mut owners = HashMap::new();
    let records = link_records(
        modules.iter().map(|m| (m.name.as_str(), m)),
        &mut owners,
        |owner, name| {
            let owner = ident(owner);
            let name = ident(name);
            quote! { pub use super::#owner::#name; }
        },
        |_, record| record_definition(record),
    );
    let marine = marine_type();
    modules
        .iter()
        .map(|m| {
            let name = ident(&m.name);
            let records = records.get(&m.name).cloned().unwrap_or_default();
            let methods = methods(m);
            quote! {
                pub mod #name {
                    #(#records)*
                    /// Calls the functions of this module of the service under test.
                    pub struct ModuleInterface {
                        marine: #marine,
                    }
                    impl ModuleInterface {
                        pub fn new(marine: #marine) -> Self {
                            Self { marine }
                        }
                        #(#methods)*
                    }
                }
            }
        })
        .collect()
}

/// Code that starts the service of `config` as `marine`, panicking like Marine when it cannot.
fn service_start(service: &Located) -> TokenStream {
    let config_text = service.config.display().to_string();
    // Depending on the files makes cargo rebuild the tests when a module is rebuilt.
    let modules = match &service.modules_dir {
        Some(dir) => interface::module_file_names(&service.config).into_iter().map(|n| dir.join(n)).collect(),
        None => interface::module_files(&service.config),
    };
    let files: Vec<String> =
        std::iter::once(service.config.clone()).chain(modules).map(|p| p.display().to_string()).collect();
    let start = match &service.modules_dir {
        Some(dir) => {
            let dir = dir.display().to_string();
            quote! { marine_rs_sdk_test::internal::AppService::with_modules_dir(#config_text, #dir) }
        }
        None => quote! { marine_rs_sdk_test::internal::AppService::new(#config_text) },
    };
    quote! {
        #(const _: &[u8] = include_bytes!(#files);)*
        let marine: ::std::rc::Rc<::std::cell::RefCell<marine_rs_sdk_test::internal::AppService>> =
            ::std::rc::Rc::new(::std::cell::RefCell::new(
                #start.unwrap_or_else(|e| panic!("app service can't be created: {}", e)),
            ));
    }
}

fn single_service(func: syn::ItemFn, service: &Located, modules: &[Module]) -> Result<TokenStream, syn::Error> {
    let definitions = module_definitions(modules);
    let start = service_start(service);
    let attrs = test_attributes(&func.attrs);
    let name = &func.sig.ident;
    let output = &func.sig.output;
    let block = &func.block;
    let mut params = Vec::new();
    let mut names = Vec::new();
    let mut ctors = Vec::new();
    for input in &func.sig.inputs {
        let typed = match input {
            syn::FnArg::Typed(t) => t,
            syn::FnArg::Receiver(r) => return Err(syn::Error::new_spanned(r, "#[marine_test]: a test takes no self")),
        };
        let arg = match &*typed.pat {
            syn::Pat::Ident(p) => p.ident.clone(),
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "#[marine_test]: expected `name: marine_test_env::<module>::ModuleInterface`",
                ))
            }
        };
        let ty = &typed.ty;
        ctors.push(quote! { let #arg = <#ty>::new(::std::clone::Clone::clone(&marine)); });
        params.push(quote! { #arg: #ty });
        names.push(arg);
    }
    Ok(quote! {
        #(#attrs)*
        #[test]
        fn #name() #output {
            #[allow(unused, non_snake_case, unused_imports, dead_code, clippy::all)]
            pub mod marine_test_env {
                #(#definitions)*
            }
            #start
            #(#ctors)*
            #[allow(unused_mut)]
            fn test_func(#(#params),*) #output {
                #(let mut #names = #names;)*
                #block
            }
            test_func(#(#names),*)
        }
    })
}

/// `marine_test_env` for named services (the multi-service form and build.rs's
/// `generate_marine_test_env`), reading each service's interface from the host.
pub(crate) fn environment(services: Vec<(String, Located)>) -> Result<TokenStream, String> {
    let mut loaded = Vec::new();
    for (name, service) in services {
        let modules = interface::service_modules(&service.config, service.modules_dir.as_deref())?;
        loaded.push((name, service, modules));
    }
    Ok(multiple_services(&loaded))
}

fn multiple_services(services: &[(String, Located, Vec<Module>)]) -> TokenStream {
    let marine = marine_type();
    // Facade records are shared between services when they have the same name and shape, so a
    // producer's result can be passed to a consumer as it is.
    let mut owners = HashMap::new();
    let facades: Vec<(&str, &Module)> = services
        .iter()
        .map(|(name, _, modules)| (name.as_str(), modules.last().expect("a service has modules")))
        .collect();
    // A service's own facade records are those of `modules::<facade>`, so a module's result
    // can be passed to the facade's functions as it is.
    let facade_records = link_records(
        facades.iter().copied(),
        &mut owners,
        |owner, name| {
            let owner = ident(owner);
            let name = ident(name);
            quote! { pub use super::#owner::#name; }
        },
        |facade, record| {
            let module = ident(&facade.name);
            let name = ident(&record.name);
            quote! { pub use self::modules::#module::#name; }
        },
    );
    let mut out = Vec::new();
    for (service, located, modules) in services {
        let svc = ident(service);
        let definitions = module_definitions(modules);
        let start = service_start(located);
        let facade = modules.last().expect("a service has modules");
        let records = facade_records.get(service.as_str()).cloned().unwrap_or_default();
        let facade_methods = methods(facade);
        let module_idents: Vec<syn::Ident> = modules.iter().map(|m| ident(&m.name)).collect();
        out.push(quote! {
            pub mod #svc {
                pub mod modules {
                    #(#definitions)*
                }
                #(#records)*
                /// One field per module of the service, calling its functions.
                pub struct __GeneratedModules {
                    #(pub #module_idents: modules::#module_idents::ModuleInterface,)*
                }
                /// The service under test: its facade's functions, and `modules`.
                pub struct ServiceInterface {
                    pub modules: __GeneratedModules,
                    marine: #marine,
                }
                impl ServiceInterface {
                    /// Starts the service in the marine-ts host.
                    pub fn new() -> Self {
                        #start
                        let modules = __GeneratedModules {
                            #(#module_idents: modules::#module_idents::ModuleInterface::new(::std::clone::Clone::clone(&marine)),)*
                        };
                        Self { modules, marine }
                    }
                    #(#facade_methods)*
                }
            }
        });
    }
    quote! {
        #[allow(unused, non_snake_case, unused_imports, dead_code, clippy::all)]
        pub mod marine_test_env {
            #(#out)*
        }
    }
}
