//! Scopes: the county, township or village a piece of content belongs to.
//!
//! A scope is named by its administrative division code (行政区划代码): 6 digits for a
//! county, 9 for a township, 12 for a village. Each scope has its own change log and
//! signed checkpoint; a kiosk follows its village, township and county.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(type = "string")]
pub struct ScopeId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ScopeLevel {
    County,
    Township,
    Village,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("“{0}”不是有效的区划代码（县6位、乡镇9位、村12位数字）")]
pub struct ScopeError(pub String);

impl ScopeId {
    pub fn parse(code: &str) -> Result<ScopeId, ScopeError> {
        let ok = matches!(code.len(), 6 | 9 | 12) && code.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(ScopeId(code.to_string()))
        } else {
            Err(ScopeError(code.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> ScopeLevel {
        match self.0.len() {
            6 => ScopeLevel::County,
            9 => ScopeLevel::Township,
            _ => ScopeLevel::Village,
        }
    }

    /// The enclosing scope: village → township → county → none.
    pub fn parent(&self) -> Option<ScopeId> {
        match self.level() {
            ScopeLevel::County => None,
            ScopeLevel::Township => Some(ScopeId(self.0[..6].to_string())),
            ScopeLevel::Village => Some(ScopeId(self.0[..9].to_string())),
        }
    }

    /// This scope and every scope above it, nearest first.
    pub fn chain(&self) -> Vec<ScopeId> {
        let mut out = vec![self.clone()];
        while let Some(p) = out.last().and_then(ScopeId::parent) {
            out.push(p);
        }
        out
    }
}

// Serialized as the bare code and checked on the way in. Written by hand because ts-rs
// cannot read `#[serde(try_from)]`.
impl Serialize for ScopeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ScopeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        ScopeId::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<String> for ScopeId {
    type Error = ScopeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ScopeId::parse(&value)
    }
}

impl From<ScopeId> for String {
    fn from(value: ScopeId) -> Self {
        value.0
    }
}

impl fmt::Display for ScopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_chain() {
        let v = ScopeId::parse("411122101201").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.level(), ScopeLevel::Village);
        let chain: Vec<String> = v.chain().into_iter().map(String::from).collect();
        assert_eq!(chain, ["411122101201", "411122101", "411122"]);
        assert!(ScopeId::parse("4111").is_err());
        assert!(ScopeId::parse("41112a").is_err());
    }
}
