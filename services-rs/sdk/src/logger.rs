//! A `log` backend that hands records to the host (`marine_host_api.log_utf8_string`).

use crate::host_api::log_utf8_string;
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::collections::HashMap;

/// Bit masks of `log` targets (see [`WasmLoggerBuilder::with_target_map`]).
pub type TargetMap = HashMap<&'static str, i32>;

/// Why the logger could not be installed.
#[derive(Debug)]
pub struct LoggerError(log::SetLoggerError);

impl std::fmt::Display for LoggerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a logger is already installed: {}", self.0)
    }
}

impl std::error::Error for LoggerError {}

/// Builds the module's logger: `WasmLoggerBuilder::new().with_log_level(log::LevelFilter::Info).build()`.
///
/// The level is the one given with [`with_log_level`](Self::with_log_level) (default `Info`),
/// unless the module's environment sets `WASM_LOG` (e.g. `debug`), which wins.
pub struct WasmLoggerBuilder {
    level: LevelFilter,
    target_map: HashMap<&'static str, i32>,
}

impl Default for WasmLoggerBuilder {
    fn default() -> Self {
        WasmLoggerBuilder::new()
    }
}

impl WasmLoggerBuilder {
    /// A builder with level `Info` and no target map.
    pub fn new() -> Self {
        WasmLoggerBuilder { level: LevelFilter::Info, target_map: HashMap::new() }
    }

    /// Records above this level are dropped inside the module.
    pub fn with_log_level(mut self, level: LevelFilter) -> Self {
        self.level = level;
        self
    }

    /// Maps `log` targets to bit masks; the host shows a record when its target's mask meets the
    /// module's `logging_mask` (unknown targets get 0, which the host always shows).
    pub fn with_target_map(mut self, map: HashMap<&'static str, i32>) -> Self {
        self.target_map = map;
        self
    }

    /// Installs the logger as the `log` backend.
    pub fn build(self) -> Result<(), LoggerError> {
        let level =
            std::env::var("WASM_LOG").ok().and_then(|v| v.trim().parse::<LevelFilter>().ok()).unwrap_or(self.level);
        let logger: &'static WasmLogger = Box::leak(Box::new(WasmLogger { level, target_map: self.target_map }));
        log::set_logger(logger).map_err(LoggerError)?;
        log::set_max_level(level);
        Ok(())
    }
}

struct WasmLogger {
    level: LevelFilter,
    target_map: HashMap<&'static str, i32>,
}

impl Log for WasmLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => 1,
            Level::Warn => 2,
            Level::Info => 3,
            Level::Debug => 4,
            Level::Trace => 5,
        };
        let target = self.target_map.get(record.target()).copied().unwrap_or(0);
        // The host names the module; the target travels as the mask above.
        let msg = record.args().to_string();
        log_utf8_string(level, target, msg);
    }

    fn flush(&self) {}
}
