//! One service under test: a `marine serve` child process of the marine-ts host, spoken to in
//! JSON lines (a call per line on its stdin, an answer per line on its stdout).

use crate::internal::ToJson;
use crate::json::Value;
use crate::CallParameters;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

/// The marine-ts toolkit (the directory holding `bin/marine.js`): `MARINE_TS_ROOT` when set
/// (`marine test` sets it), else the checkout or package this crate was built from.
pub fn toolkit_root() -> Result<PathBuf, String> {
    if let Some(root) = std::env::var_os("MARINE_TS_ROOT") {
        let root = PathBuf::from(root);
        return if root.join("bin").join("marine.js").is_file() {
            Ok(root)
        } else {
            Err(format!(
                "MARINE_TS_ROOT={}: expected the marine-ts toolkit there (bin/marine.js), found none",
                root.display()
            ))
        };
    }
    // services-rs/sdk-test (or sdk-test-compat/v0.x, one level deeper) is below the toolkit's root.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    match here.ancestors().skip(1).take(3).find(|root| root.join("bin").join("marine.js").is_file()) {
        Some(root) => Ok(root.to_path_buf()),
        None => Err(format!(
            "cannot find the marine-ts toolkit: MARINE_TS_ROOT is not set and no directory up to three levels above {} has bin/marine.js; run the tests with `marine test`",
            here.display()
        )),
    }
}

/// Node to run the host with: `MARINE_NODE` (`marine test` sets it), else `node` on PATH.
fn node() -> String {
    std::env::var("MARINE_NODE").unwrap_or_else(|_| "node".to_string())
}

/// A running service: the host process and the service's log so far.
pub struct AppService {
    config: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    log: Arc<Mutex<String>>,
    next_id: u64,
}

impl AppService {
    /// Starts the host on the service `config` (a Config.toml), waiting until it has loaded.
    pub fn new(config: &str) -> Result<AppService, String> {
        AppService::start(config, None)
    }

    /// Like `new`, loading the modules from `modules_dir` instead of the config's own.
    pub fn with_modules_dir(config: &str, modules_dir: &str) -> Result<AppService, String> {
        AppService::start(config, Some(modules_dir))
    }

    fn start(config: &str, modules_dir: Option<&str>) -> Result<AppService, String> {
        let root = toolkit_root()?;
        let marine = root.join("bin").join("marine.js");
        let mut command = Command::new(node());
        command.arg(&marine).arg("serve").arg("--config").arg(config);
        if let Some(dir) = modules_dir {
            command.arg("--modules-dir").arg(dir);
        }
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| {
                format!("cannot start `{} {} serve` (set MARINE_NODE to Node 20+): {}", node(), marine.display(), e)
            })?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        // The service's log (guest output, logger lines) is collected and printed from the test's
        // own thread after each call, so cargo test shows it with a failing test only.
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            });
        }
        let mut service = AppService { config: PathBuf::from(config), child, stdin, stdout, log, next_id: 1 };
        let ready = service.read_line()?;
        if ready.get("ready") == Some(&Value::Bool(true)) {
            Ok(service)
        } else {
            Err(format!(
                "the service of {} did not load: {}",
                service.config.display(),
                error_text(ready.get("error").unwrap_or(&ready))
            ))
        }
    }

    fn read_line(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).map_err(|e| format!("reading from the host: {}", e))?;
        if n == 0 {
            let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
            // Give the stderr reader a moment to collect the host's last words.
            std::thread::sleep(std::time::Duration::from_millis(100));
            return Err(format!(
                "the host serving {} exited ({}) without answering; its output:\n{}",
                self.config.display(),
                status,
                self.take_log()
            ));
        }
        Value::parse(&line).map_err(|e| format!("the host answered with malformed JSON ({}): {}", e, line.trim_end()))
    }

    fn take_log(&self) -> String {
        self.log.lock().map(|mut log| std::mem::take(&mut *log)).unwrap_or_default()
    }

    /// Calls `function` of `module` (its config name) with positional arguments; the result, or
    /// the host's error as `Name: message`.
    pub fn call_module(
        &mut self,
        module: &str,
        function: &str,
        args: Vec<Value>,
        cp: Option<&CallParameters>,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = vec![
            ("id".to_string(), Value::Number(id.to_string())),
            ("module".to_string(), Value::String(module.to_string())),
            ("function".to_string(), Value::String(function.to_string())),
            ("args".to_string(), Value::Array(args)),
        ];
        if let Some(cp) = cp {
            request.push(("call_parameters".to_string(), cp.to_json()));
        }
        let line = format!("{}\n", Value::Object(request));
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(line.as_bytes()).and_then(|_| stdin.flush()),
            None => Ok(()),
        };
        if let Err(e) = written {
            return Err(format!("writing to the host: {}; its output:\n{}", e, self.take_log()));
        }
        let answer = self.read_line();
        let log = self.take_log();
        if !log.is_empty() {
            eprint!("{}", log);
        }
        let answer = answer?;
        if let Some(error) = answer.get("error") {
            return Err(error_text(error));
        }
        answer.get("result").cloned().ok_or_else(|| format!("the host answered without a result: {}", answer))
    }

    /// Like `call_module`, panicking on error as Marine's test runtime does.
    pub fn call_or_panic(
        &mut self,
        module: &str,
        function: &str,
        args: Vec<Value>,
        cp: Option<&CallParameters>,
    ) -> Value {
        self.call_module(module, function, args, cp)
            .unwrap_or_else(|e| panic!("call to Marine failed: {}.{}: {}", module, function, e))
    }
}

fn error_text(error: &Value) -> String {
    match (error.get("name").and_then(Value::as_str), error.get("message").and_then(Value::as_str)) {
        (Some(name), Some(message)) => format!("{}: {}", name, message),
        _ => error.to_string(),
    }
}

impl Drop for AppService {
    fn drop(&mut self) {
        // Closing stdin ends `marine serve`, which closes the service; kill it if it lingers.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
