//! What a mounted binary (an executable the host runs for an effector module) returns.

use crate::host_api::MountedBinaryResult;

/// `ret_code` of a binary that ran and exited with status 0.
pub const SUCCESS_CODE: i32 = 0;
/// Same as [`SUCCESS_CODE`], under the name marine-rs-sdk also uses.
pub const BINARY_SUCCESS_CODE: i32 = SUCCESS_CODE;

/// [`MountedBinaryResult`] with stdout and stderr decoded as UTF-8 (lossily).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountedBinaryStringResult {
    /// Exit status of the binary, or a host error code when it did not run.
    pub ret_code: i32,
    /// Why the host could not run the binary; empty when it ran.
    pub error: String,
    /// stdout as text.
    pub stdout: String,
    /// stderr as text.
    pub stderr: String,
}

impl MountedBinaryResult {
    /// A result for a binary that could not be run.
    pub fn from_error(ret_code: i32, error: impl Into<String>) -> Self {
        MountedBinaryResult { ret_code, error: error.into(), stdout: Vec::new(), stderr: Vec::new() }
    }

    /// The binary ran and exited with status 0.
    pub fn is_success(&self) -> bool {
        self.error.is_empty() && self.ret_code == SUCCESS_CODE
    }

    /// `None` when the binary did not run; otherwise `Ok(stdout)` on exit status 0 and
    /// `Err(stderr)` on any other status.
    pub fn into_std(self) -> Option<Result<Vec<u8>, Vec<u8>>> {
        if !self.error.is_empty() {
            return None;
        }
        Some(if self.ret_code == SUCCESS_CODE { Ok(self.stdout) } else { Err(self.stderr) })
    }

    /// Like [`into_std`](Self::into_std), borrowing.
    pub fn as_std(&self) -> Option<Result<&Vec<u8>, &Vec<u8>>> {
        if !self.error.is_empty() {
            return None;
        }
        Some(if self.ret_code == SUCCESS_CODE { Ok(&self.stdout) } else { Err(&self.stderr) })
    }

    /// The same result with stdout and stderr decoded as UTF-8 (invalid bytes replaced).
    pub fn stringify(&self) -> MountedBinaryStringResult {
        MountedBinaryStringResult {
            ret_code: self.ret_code,
            error: self.error.clone(),
            stdout: String::from_utf8_lossy(&self.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr).into_owned(),
        }
    }
}

impl MountedBinaryStringResult {
    /// The binary ran and exited with status 0.
    pub fn is_success(&self) -> bool {
        self.error.is_empty() && self.ret_code == SUCCESS_CODE
    }

    /// `None` when the binary did not run; otherwise `Ok(stdout)` on exit status 0 and
    /// `Err(stderr)` on any other status.
    pub fn into_std(self) -> Option<Result<String, String>> {
        if !self.error.is_empty() {
            return None;
        }
        Some(if self.ret_code == SUCCESS_CODE { Ok(self.stdout) } else { Err(self.stderr) })
    }

    /// Like [`into_std`](Self::into_std), borrowing.
    pub fn as_std(&self) -> Option<Result<&String, &String>> {
        if !self.error.is_empty() {
            return None;
        }
        Some(if self.ret_code == SUCCESS_CODE { Ok(&self.stdout) } else { Err(&self.stderr) })
    }
}
