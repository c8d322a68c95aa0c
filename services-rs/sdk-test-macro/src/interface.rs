//! The interfaces of a service's modules, as the marine-ts host reports them
//! (`marine it <Config.toml> --json --all`: Nox's srv.get_interface shape, with the names the
//! module's author wrote), and where the test's files are.

use crate::json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A type of an argument, result or record field.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Prim(&'static str),
    String,
    /// `[]T`; Marine's `Option<T>` (`?T`) is an array of zero or one too, as in Marine's tests.
    Array(Box<Ty>),
    Record(String),
}

/// An exported function.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub args: Vec<(String, Ty)>,
    pub output: Option<Ty>,
}

/// A record type.
#[derive(Clone, Debug)]
pub struct Record {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
}

/// One module of a service, by its config name.
#[derive(Clone, Debug)]
pub struct Module {
    pub name: String,
    pub functions: Vec<Function>,
    pub records: Vec<Record>,
}

impl Module {
    /// A record of this module by name.
    pub fn record(&self, name: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.name == name)
    }

    /// A record's structure with every record it holds spelled out, so that records of two
    /// modules are the same Rust type exactly when they have the same name and shape.
    pub fn canonical(&self, record: &Record) -> String {
        let mut out = String::new();
        self.canonical_into(record, &mut out, 0);
        out
    }

    fn canonical_into(&self, record: &Record, out: &mut String, depth: usize) {
        out.push_str(&record.name);
        out.push('{');
        for (name, ty) in &record.fields {
            out.push_str(name);
            out.push(':');
            self.canonical_ty(ty, out, depth);
            out.push(',');
        }
        out.push('}');
    }

    fn canonical_ty(&self, ty: &Ty, out: &mut String, depth: usize) {
        match ty {
            Ty::Prim(p) => out.push_str(p),
            Ty::String => out.push_str("string"),
            Ty::Array(inner) => {
                out.push_str("[]");
                self.canonical_ty(inner, out, depth);
            }
            Ty::Record(name) => match self.record(name) {
                Some(r) if depth < 64 => self.canonical_into(r, out, depth + 1),
                _ => out.push_str(name),
            },
        }
    }
}

fn parse_ty(text: &str) -> Ty {
    if let Some(rest) = text.strip_prefix("[]") {
        return Ty::Array(Box::new(parse_ty(rest)));
    }
    if let Some(rest) = text.strip_prefix('?') {
        return Ty::Array(Box::new(parse_ty(rest)));
    }
    match text {
        "bool" => Ty::Prim("bool"),
        "u8" => Ty::Prim("u8"),
        "u16" => Ty::Prim("u16"),
        "u32" => Ty::Prim("u32"),
        "u64" => Ty::Prim("u64"),
        "i8" | "s8" => Ty::Prim("i8"),
        "i16" | "s16" => Ty::Prim("i16"),
        "i32" | "s32" => Ty::Prim("i32"),
        "i64" | "s64" => Ty::Prim("i64"),
        "f32" => Ty::Prim("f32"),
        "f64" => Ty::Prim("f64"),
        "string" => Ty::String,
        name => Ty::Record(name.to_string()),
    }
}

fn pairs(value: Option<&Value>, what: &str) -> Result<Vec<(String, Ty)>, String> {
    let items = value.and_then(Value::as_array).ok_or_else(|| format!("{}: expected an array", what))?;
    items
        .iter()
        .map(|pair| match pair.as_array() {
            Some([Value::String(name), Value::String(ty)]) => Ok((name.clone(), parse_ty(ty))),
            _ => Err(format!("{}: expected [name, type] pairs, found {}", what, pair)),
        })
        .collect()
}

fn parse_module(name: &str, value: &Value) -> Result<Module, String> {
    let mut functions = Vec::new();
    for f in value.get("function_signatures").and_then(Value::as_array).unwrap_or(&[]) {
        let fname = f.get("name").and_then(Value::as_str).ok_or("a function without a name")?;
        let what = format!("{}.{}", name, fname);
        let outputs = f.get("output_types").and_then(Value::as_array).unwrap_or(&[]);
        let output = match outputs {
            [] => None,
            [Value::String(ty)] => Some(parse_ty(ty)),
            _ => return Err(format!("{}: more than one result is not supported", what)),
        };
        functions.push(Function { name: fname.to_string(), args: pairs(f.get("arguments"), &what)?, output });
    }
    let mut records = Vec::new();
    for r in value.get("record_types").and_then(Value::as_array).unwrap_or(&[]) {
        let rname = r.get("name").and_then(Value::as_str).ok_or("a record without a name")?;
        records.push(Record { name: rname.to_string(), fields: pairs(r.get("fields"), rname)? });
    }
    Ok(Module { name: name.to_string(), functions, records })
}

/// The marine-ts toolkit root: `MARINE_TS_ROOT` (set by `marine test`), else the checkout or
/// package this macro crate was built from (it sits in services-rs/sdk-test-macro).
pub fn toolkit_root() -> Result<PathBuf, String> {
    if let Some(root) = std::env::var_os("MARINE_TS_ROOT") {
        return Ok(PathBuf::from(root));
    }
    // services-rs/sdk-test-macro (or a compat crate one level deeper) is below the toolkit's root.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    match here.ancestors().skip(1).take(3).find(|root| root.join("bin").join("marine.js").is_file()) {
        Some(root) => Ok(root.to_path_buf()),
        None => Err(format!(
            "cannot find the marine-ts toolkit: MARINE_TS_ROOT is not set and no directory up to three levels above {} has bin/marine.js; run the tests with `marine test`",
            here.display()
        )),
    }
}

thread_local! {
    // One rustc compiles all tests of a crate: each service's interface is asked for once.
    static CACHE: RefCell<HashMap<(PathBuf, Option<PathBuf>), Vec<Module>>> = RefCell::new(HashMap::new());
}

/// The modules of the service `config` (a Config.toml), in load order (the facade last),
/// loaded from `modules_dir` instead of the config's own when given.
pub fn service_modules(config: &Path, modules_dir: Option<&Path>) -> Result<Vec<Module>, String> {
    let key = (config.to_path_buf(), modules_dir.map(Path::to_path_buf));
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(hit);
    }
    let root = toolkit_root()?;
    let node = std::env::var("MARINE_NODE").unwrap_or_else(|_| "node".to_string());
    let marine = root.join("bin").join("marine.js");
    let mut command = Command::new(&node);
    command.arg(&marine).arg("it").arg(config).arg("--json").arg("--all");
    if let Some(dir) = modules_dir {
        command.arg("--modules-dir").arg(dir);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run `{} {} it` (set MARINE_NODE to Node 20+): {}", node, marine.display(), e))?;
    if !output.status.success() {
        return Err(format!(
            "cannot read the interface of the service {} (build its modules first: `marine build`, or run `marine test`): {}",
            config.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let value = Value::parse(&text).map_err(|e| format!("marine it --json printed malformed JSON: {}", e))?;
    let modules = match &value {
        Value::Object(members) => {
            members.iter().map(|(name, iface)| parse_module(name, iface)).collect::<Result<Vec<_>, _>>()?
        }
        other => return Err(format!("marine it --json --all: expected an object, found {}", other.kind())),
    };
    if modules.is_empty() {
        return Err(format!("the service {} has no modules", config.display()));
    }
    CACHE.with(|c| c.borrow_mut().insert(key, modules.clone()));
    Ok(modules)
}

/// A Config.toml's modules, read loosely: top-level `modules_dir`, and each `[[module]]`'s
/// `name`, `load_from` and `file_name`.
struct ConfigModules {
    modules_dir: Option<String>,
    entries: Vec<(Option<String>, Option<String>, Option<String>)>,
}

fn config_modules(config: &Path) -> ConfigModules {
    let text = std::fs::read_to_string(config).unwrap_or_default();
    let mut modules_dir: Option<String> = None;
    let mut entries: Vec<(Option<String>, Option<String>, Option<String>)> = Vec::new();
    let mut in_module = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_module = line == "[[module]]";
            if in_module {
                entries.push((None, None, None));
            }
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => continue,
        };
        let value = match value.strip_prefix('"').and_then(|v| v.split('"').next()) {
            Some(v) => v.to_string(),
            None => continue,
        };
        let before_modules = entries.is_empty();
        match (in_module, key, entries.last_mut()) {
            (false, "modules_dir", _) if before_modules => modules_dir = Some(value),
            (true, "name", Some(e)) => e.0 = Some(value),
            (true, "load_from", Some(e)) => e.1 = Some(value),
            (true, "file_name", Some(e)) => e.2 = Some(value),
            _ => {}
        }
    }
    ConfigModules { modules_dir, entries }
}

/// The `.wasm` files a Config.toml names that exist, so the generated code can depend on them
/// and cargo rebuilds the tests when a module is rebuilt.
pub fn module_files(config: &Path) -> Vec<PathBuf> {
    let base = config.parent().unwrap_or_else(|| Path::new("."));
    let parsed = config_modules(config);
    let dir = base.join(parsed.modules_dir.unwrap_or_default());
    parsed
        .entries
        .into_iter()
        .filter_map(|(name, load_from, file_name)| match (load_from, file_name, name) {
            (Some(l), _, _) => Some(base.join(l)),
            (None, Some(f), _) => Some(dir.join(f)),
            (None, None, Some(n)) => Some(dir.join(format!("{}.wasm", n))),
            _ => None,
        })
        .filter(|p| p.is_file())
        .collect()
}

/// The file names of the modules a Config.toml loads from its modules directory (those without
/// `load_from`): `file_name`, else `<name>.wasm`.
pub fn module_file_names(config: &Path) -> Vec<String> {
    config_modules(config)
        .entries
        .into_iter()
        .filter_map(|(name, load_from, file_name)| match (load_from, file_name, name) {
            (Some(_), _, _) => None,
            (None, Some(f), _) => Some(f),
            (None, None, Some(n)) => Some(format!("{}.wasm", n)),
            _ => None,
        })
        .collect()
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` declares `fn name` / `mod name` (`keyword` says which).
fn declares(text: &str, keyword: &str, name: &str) -> bool {
    let needle = format!("{} {}", keyword, name);
    text.match_indices(&needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.map_or(false, is_ident_char) && !after.map_or(false, is_ident_char)
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return,
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules" | "artifacts" | ".git") && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The directory of the source file holding the test, which `config_path` is relative to, as
/// in Marine. Stable Rust does not tell a macro its file, so the crate's sources are searched
/// for a file with `marine_test` that declares the item and from which every config exists.
pub fn test_file_dir(keyword: &str, item: &str, config_paths: &[&str]) -> Result<PathBuf, String> {
    let manifest = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .map_err(|_| "CARGO_MANIFEST_DIR is not set: build with cargo".to_string())?,
    );
    let mut files = Vec::new();
    rust_files(&manifest, &mut files);
    let mut tried = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(_) => continue,
        };
        if !text.contains("marine_test") || !declares(&text, keyword, item) {
            continue;
        }
        let dir = file.parent().unwrap_or(&manifest).to_path_buf();
        if config_paths.iter().all(|c| dir.join(c).is_file()) {
            return Ok(dir);
        }
        tried.push(dir.display().to_string());
    }
    Err(format!(
        "config_path is relative to the file of the test: expected {} from the file declaring `{} {}` under {}, found {}",
        config_paths.iter().map(|c| format!("`{}`", c)).collect::<Vec<_>>().join(", "),
        keyword,
        item,
        manifest.display(),
        if tried.is_empty() { "no such file".to_string() } else { format!("no such config from {}", tried.join(", ")) }
    ))
}
