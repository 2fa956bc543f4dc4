//! The one error type of the crate. Each variant maps to one Python exception class
//! (see `python/errors.rs`), mirroring what TensorFlow raises in the same situation.

use std::fmt;

/// TensorFlow's canonical error codes, carried by errors raised while a graph runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    Cancelled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    Unavailable,
    DataLoss,
    Unauthenticated,
}

impl Code {
    /// The name of the matching `symgrad.errors` class.
    pub fn class_name(self) -> &'static str {
        match self {
            Code::Cancelled => "CancelledError",
            Code::Unknown => "UnknownError",
            Code::InvalidArgument => "InvalidArgumentError",
            Code::DeadlineExceeded => "DeadlineExceededError",
            Code::NotFound => "NotFoundError",
            Code::AlreadyExists => "AlreadyExistsError",
            Code::PermissionDenied => "PermissionDeniedError",
            Code::ResourceExhausted => "ResourceExhaustedError",
            Code::FailedPrecondition => "FailedPreconditionError",
            Code::Aborted => "AbortedError",
            Code::OutOfRange => "OutOfRangeError",
            Code::Unimplemented => "UnimplementedError",
            Code::Internal => "InternalError",
            Code::Unavailable => "UnavailableError",
            Code::DataLoss => "DataLossError",
            Code::Unauthenticated => "UnauthenticatedError",
        }
    }
}

/// Errors of graph construction, differentiation and execution.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An invalid argument found while building the graph (Python `ValueError`).
    #[error("{message}")]
    InvalidArgument { message: String },
    /// A type error found while building the graph (Python `TypeError`).
    #[error("{message}")]
    Type { message: String },
    /// An op on the gradient path has no registered gradient (Python `LookupError`).
    #[error("{message}")]
    NoGradient { message: String },
    /// A gradient for this op type is registered already (Python `KeyError`).
    #[error(
        "Registering two gradient with name '{op_type}'! (Previous registration was in {previous})"
    )]
    AlreadyRegistered { op_type: String, previous: String },
    /// A lookup by name or index failed (Python `KeyError`).
    #[error("{message}")]
    Key { message: String },
    /// The graph is finalized, or another state error (Python `RuntimeError`).
    #[error("{message}")]
    Runtime { message: String },
    /// An error while running the graph (Python `symgrad.errors.<Code>Error`).
    #[error("{message}")]
    Op {
        code: Code,
        op: Option<u32>,
        message: String,
    },
    /// An error raised by user code called from the core (a Python gradient function);
    /// the binding re-raises it unchanged.
    #[error("{0}")]
    External(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(message: impl fmt::Display) -> Self {
        Error::InvalidArgument {
            message: message.to_string(),
        }
    }
    pub fn type_error(message: impl fmt::Display) -> Self {
        Error::Type {
            message: message.to_string(),
        }
    }
    pub fn runtime(message: impl fmt::Display) -> Self {
        Error::Runtime {
            message: message.to_string(),
        }
    }
    /// A run-time error not yet attributed to an op; the executor attributes it.
    pub fn op(code: Code, message: impl fmt::Display) -> Self {
        Error::Op {
            code,
            op: None,
            message: message.to_string(),
        }
    }
    pub fn op_invalid(message: impl fmt::Display) -> Self {
        Self::op(Code::InvalidArgument, message)
    }
    pub fn internal(message: impl fmt::Display) -> Self {
        Self::op(Code::Internal, message)
    }
    pub fn unimplemented(message: impl fmt::Display) -> Self {
        Self::op(Code::Unimplemented, message)
    }
}
