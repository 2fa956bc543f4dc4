//! Element types of tensors.

use crate::error::{Error, Result};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// IEEE half precision (TF's `half`): stored as 16 bits, computed in f32.
    F16,
    F32,
    F64,
    I8,
    I16,
    I32,
    I64,
    U8,
    Bool,
    /// TF's `string`: variable-length byte strings (not necessarily UTF-8).
    Str,
    /// Complex numbers of two f32 (`complex64`).
    C64,
    /// Complex numbers of two f64 (`complex128`).
    C128,
}

impl DType {
    /// Every dtype whose elements are numbers (all but `Str`).
    pub const ALL: [DType; 11] = [
        DType::F16,
        DType::F32,
        DType::F64,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::Bool,
        DType::C64,
        DType::C128,
    ];

    /// The name numpy and symgrad's Python API use (`float32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F16 => "float16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::Bool => "bool",
            DType::Str => "string",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        }
    }

    /// TF's enum spelling, used inside messages that quote a NodeDef (`DT_FLOAT`).
    pub fn tf_enum_name(self) -> &'static str {
        match self {
            DType::F16 => "DT_HALF",
            DType::F32 => "DT_FLOAT",
            DType::F64 => "DT_DOUBLE",
            DType::I8 => "DT_INT8",
            DType::I16 => "DT_INT16",
            DType::I32 => "DT_INT32",
            DType::I64 => "DT_INT64",
            DType::U8 => "DT_UINT8",
            DType::Bool => "DT_BOOL",
            DType::Str => "DT_STRING",
            DType::C64 => "DT_COMPLEX64",
            DType::C128 => "DT_COMPLEX128",
        }
    }

    /// TF's short kernel spelling used in "with dtype float" messages.
    pub fn tf_short_name(self) -> &'static str {
        match self {
            DType::F16 => "half",
            DType::F32 => "float",
            DType::F64 => "double",
            other => other.name(),
        }
    }

    pub fn from_name(name: &str) -> Result<DType> {
        Ok(match name {
            "float16" | "half" | "f16" => DType::F16,
            "float32" | "float" | "f32" => DType::F32,
            "float64" | "double" | "f64" => DType::F64,
            "int8" => DType::I8,
            "int16" => DType::I16,
            "int32" => DType::I32,
            "int64" => DType::I64,
            "uint8" => DType::U8,
            "bool" => DType::Bool,
            "string" => DType::Str,
            "complex64" => DType::C64,
            "complex128" => DType::C128,
            other => return Err(Error::type_error(format!("Unsupported dtype: '{other}'"))),
        })
    }

    pub fn is_floating(self) -> bool {
        matches!(self, DType::F16 | DType::F32 | DType::F64)
    }
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U8
        )
    }
    pub fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }
    /// Floating or complex: the types TF's float math (`Exp`, `Log`, ...) takes.
    pub fn is_inexact(self) -> bool {
        self.is_floating() || self.is_complex()
    }
    /// The type of a complex type's parts (`float32` for `complex64`); others are their own.
    pub fn real(self) -> DType {
        match self {
            DType::C64 => DType::F32,
            DType::C128 => DType::F64,
            other => other,
        }
    }
    /// The complex type whose parts are `self` (`complex64` for `float32`), if any.
    pub fn complex_of(self) -> Option<DType> {
        match self {
            DType::F32 => Some(DType::C64),
            DType::F64 => Some(DType::C128),
            _ => None,
        }
    }
    /// Whether gradients flow through tensors of this type (TF's `IsTrainable`).
    pub fn is_trainable(self) -> bool {
        self.is_floating() || self.is_complex()
    }
    pub fn size_of(self) -> usize {
        match self {
            DType::C128 => 16,
            DType::F64 | DType::I64 | DType::C64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::I16 | DType::F16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
            // A string element's fixed part (TF's `tstring` is 24 bytes; ours a `Vec<u8>`).
            DType::Str => std::mem::size_of::<Vec<u8>>(),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
