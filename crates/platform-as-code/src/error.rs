//! Errors of platform-as-code: a bad declaration (file, line, field), a control-plane refusal
//! (its typed code), a held lock, a refused plan.

use std::fmt;
use std::path::PathBuf;

/// One problem in the declaration, located as precisely as the parser allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeclarationError {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Field path, e.g. `mappings.files[0]` or `nodes[1].sql`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DeclarationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(
                f,
                "{}:{l}: {}: {}",
                self.file.display(),
                self.field,
                self.message
            ),
            None => write!(
                f,
                "{}: {}: {}",
                self.file.display(),
                self.field,
                self.message
            ),
        }
    }
}

/// Every failure of a platform command.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The declaration is invalid; nothing was sent to the control plane.
    #[error("the declaration is invalid:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Declaration(Vec<DeclarationError>),
    /// The control plane refused a request with a typed error.
    #[error("{method} {path} failed: {code} ({status}): {message}")]
    Api {
        /// HTTP method.
        method: String,
        /// Path.
        path: String,
        /// HTTP status.
        status: u16,
        /// Error code of the envelope.
        code: String,
        /// Message of the envelope.
        message: String,
        /// `details` of the envelope.
        details: serde_json::Value,
    },
    /// The control plane could not be reached or answered something unreadable.
    #[error("cannot talk to the control plane at {url}: {message}")]
    Transport {
        /// Base URL.
        url: String,
        /// The transport error.
        message: String,
    },
    /// Another apply holds the lock.
    #[error(
        "the platform is locked by {holder} (actor {actor}, lock {lock_id}); if that apply crashed, run `graph-olap platform force-unlock {lock_id}`"
    )]
    Locked {
        /// Lock id for force-unlock.
        lock_id: String,
        /// Holder.
        holder: String,
        /// Actor.
        actor: String,
    },
    /// A command cannot proceed for a reason stated in the message (e.g. an approval target
    /// that is not in the plan, a missing key for a role).
    #[error("{0}")]
    Refused(String),
}

impl PlatformError {
    /// The control plane's error code, when the error is an API refusal.
    pub fn code(&self) -> Option<&str> {
        match self {
            PlatformError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}
