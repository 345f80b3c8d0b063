//! How the SPEC vocabulary of `offline-v2` (codes, states, modes, reasons, entries, flag sets)
//! is written in scenario files: one [`Word`] trait for the named values, and `serde` /
//! `schemars` adapters used as `#[serde(with = "…")]` and `#[schemars(with = "…")]` on the
//! scenario types. Names are read case-insensitively (SPEC §7) and written in their SPEC
//! spelling (F3); codes and flags may also be numbers, and flag bits without a name survive as
//! a number.

use std::borrow::Cow;
use std::marker::PhantomData;

use bitflags::Flags;
use offline_v2::types::{
    flag_names, parse_flag, ErrorCode, OfflineReason, PersistentState, ResourceState, WorkMode,
};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CallEntry;

/// A named value of the SPEC vocabulary, as it is written in a scenario file.
pub trait Word: Sized + Copy + 'static {
    /// What it is, for messages ("state", "code", …).
    const WHAT: &'static str;
    /// Whether a number is also accepted (codes).
    const NUMBERS: bool = false;
    /// Every named value.
    fn all() -> Vec<Self>;
    /// Its SPEC spelling.
    fn spelling(self) -> Option<&'static str>;
    /// The value of a number, where [`Word::NUMBERS`].
    fn of_number(_n: u32) -> Option<Self> {
        None
    }
    /// The number it is written as when it has no name.
    fn number(self) -> u32 {
        0
    }
    /// The value named `text`, in any case.
    fn parse(text: &str) -> Option<Self> {
        Self::all()
            .into_iter()
            .find(|w| w.spelling().is_some_and(|s| s.eq_ignore_ascii_case(text)))
    }
    /// The SPEC spellings of every named value.
    fn spellings() -> Vec<&'static str> {
        Self::all().into_iter().filter_map(Self::spelling).collect()
    }
}

impl Word for ErrorCode {
    const WHAT: &'static str = "code";
    const NUMBERS: bool = true;
    fn all() -> Vec<Self> {
        ErrorCode::ALL.to_vec()
    }
    fn spelling(self) -> Option<&'static str> {
        self.name()
    }
    fn of_number(n: u32) -> Option<Self> {
        Some(ErrorCode(n))
    }
    fn number(self) -> u32 {
        self.0
    }
}

/// A [`Word`] whose values are `$all`, spelled by their `name()`.
macro_rules! named_word {
    ($ty:ty, $what:literal, $all:expr) => {
        impl Word for $ty {
            const WHAT: &'static str = $what;
            fn all() -> Vec<Self> {
                $all.to_vec()
            }
            fn spelling(self) -> Option<&'static str> {
                Some(self.name())
            }
        }
    };
}

named_word!(ResourceState, "state", ResourceState::ALL);
named_word!(
    PersistentState,
    "persistent state",
    [PersistentState::Online, PersistentState::Offline]
);
named_word!(OfflineReason, "reason", OfflineReason::ALL);
named_word!(
    CallEntry,
    "entry",
    [
        CallEntry::OnlineV2,
        CallEntry::OfflineV2,
        CallEntry::Terminate
    ]
);

/// Work modes are written in lower case, as SPEC §7 does (`"offline": "sync"`).
impl Word for WorkMode {
    const WHAT: &'static str = "mode";
    fn all() -> Vec<Self> {
        vec![WorkMode::Sync, WorkMode::Pending]
    }
    fn spelling(self) -> Option<&'static str> {
        Some(match self {
            WorkMode::Sync => "sync",
            WorkMode::Pending => "pending",
        })
    }
}

/// "a string", "a number", … for messages.
#[must_use]
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads one [`Word`] from a JSON value, with a message naming what was expected.
fn word_of_value<W: Word>(v: &Value) -> Result<W, String> {
    match v {
        Value::String(s) => W::parse(s).ok_or_else(|| {
            if W::NUMBERS {
                format!("unknown {} {s:?} (a SPEC §2 name or a number)", W::WHAT)
            } else {
                format!(
                    "unknown {} {s:?} (expected one of: {})",
                    W::WHAT,
                    W::spellings().join(", ")
                )
            }
        }),
        Value::Number(_) if W::NUMBERS => dword(v)
            .and_then(|n| W::of_number(n).ok_or_else(|| format!("{n} is not a {}", W::WHAT))),
        other => Err(format!(
            "expected a {} name{}, found {}",
            W::WHAT,
            if W::NUMBERS { " or number" } else { "" },
            kind_name(other)
        )),
    }
}

/// A DWORD from a JSON number.
fn dword(v: &Value) -> Result<u32, String> {
    let n = v
        .as_u64()
        .ok_or_else(|| format!("expected a non-negative integer, found {}", kind_name(v)))?;
    u32::try_from(n).map_err(|_| format!("{n} does not fit in a DWORD"))
}

/// The JSON form of a [`Word`]: its spelling, or its number if it has none.
fn word_value<W: Word>(w: W) -> Value {
    w.spelling()
        .map_or_else(|| Value::from(w.number()), Value::from)
}

/// `#[serde(with = "vocab::word")]` for a field holding one [`Word`].
pub mod word {
    use super::{
        de, word_of_value, word_value, Deserialize, Deserializer, Serialize, Serializer, Value,
        Word,
    };

    /// Writes the spelling (or number).
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<W: Word, S: Serializer>(w: &W, s: S) -> Result<S::Ok, S::Error> {
        word_value(*w).serialize(s)
    }

    /// Reads a name in any case (or a number, for codes).
    ///
    /// # Errors
    /// An unknown name, or a value of the wrong type.
    pub fn deserialize<'de, W: Word, D: Deserializer<'de>>(d: D) -> Result<W, D::Error> {
        word_of_value(&Value::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// `#[serde(with = "vocab::opt_word")]` for an optional [`Word`] (absent or `null`: none).
pub mod opt_word {
    use super::{
        de, word_of_value, word_value, Deserialize, Deserializer, Serialize, Serializer, Value,
        Word,
    };

    /// Writes the spelling, or `null`.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<W: Word, S: Serializer>(w: &Option<W>, s: S) -> Result<S::Ok, S::Error> {
        w.map(word_value).serialize(s)
    }

    /// Reads a name, a number (codes) or `null`.
    ///
    /// # Errors
    /// An unknown name, or a value of the wrong type.
    pub fn deserialize<'de, W: Word, D: Deserializer<'de>>(d: D) -> Result<Option<W>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => word_of_value(&v).map(Some).map_err(de::Error::custom),
        }
    }
}

/// One element of a flag list: a name of `F` or a number of raw bits.
struct FlagItem<F>(u32, PhantomData<F>);

impl<'de, F: Flags<Bits = u32>> Deserialize<'de> for FlagItem<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let bits = match &v {
            Value::Number(_) => dword(&v),
            Value::String(s) => parse_flag::<F>(s).map(|f| f.bits()).ok_or_else(|| {
                let known: Vec<&str> = F::FLAGS.iter().map(bitflags::Flag::name).collect();
                format!("unknown flag {s:?} (expected one of: {})", known.join(", "))
            }),
            other => Err(format!("expected a flag name, found {}", kind_name(other))),
        };
        bits.map(|b| FlagItem(b, PhantomData))
            .map_err(de::Error::custom)
    }
}

/// `#[serde(with = "vocab::flags")]` for a flag set written as a list of names.
pub mod flags {
    use super::{flag_names, Deserialize, Deserializer, FlagItem, Flags, SerializeSeq, Serializer};

    /// Writes the names of the set bits, plus one number for any bits without a name.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<F: Flags<Bits = u32>, S: Serializer>(f: &F, s: S) -> Result<S::Ok, S::Error> {
        let names = flag_names(f);
        let unknown = f.bits() & !F::all().bits();
        let mut seq = s.serialize_seq(Some(names.len() + usize::from(unknown != 0)))?;
        for n in names {
            seq.serialize_element(n)?;
        }
        if unknown != 0 {
            seq.serialize_element(&unknown)?;
        }
        seq.end()
    }

    /// Reads a list of names (any case) and numbers, OR-ed together.
    ///
    /// # Errors
    /// An unknown name (with its index in the JSON path), or a value of the wrong type.
    pub fn deserialize<'de, F: Flags<Bits = u32>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<F, D::Error> {
        let items: Vec<FlagItem<F>> = Vec::deserialize(d)?;
        Ok(F::from_bits_retain(
            items.iter().fold(0, |acc, i| acc | i.0),
        ))
    }
}

/// `#[serde(with = "vocab::pairs")]` for a JSON object kept in file order as `(key, value)`
/// pairs; `V` is any `serde` value (names, booleans).
pub mod pairs {
    use super::{de, Deserialize, Deserializer, Serialize, SerializeMap, Serializer};
    use std::fmt;
    use std::marker::PhantomData;

    /// Writes the pairs as an object.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<V: Serialize, S: Serializer>(
        p: &[(String, V)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(p.len()))?;
        for (k, v) in p {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }

    /// Reads an object, keeping its order.
    ///
    /// # Errors
    /// A value of the wrong type (with its key in the JSON path).
    pub fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, V)>, D::Error> {
        struct Pairs<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> de::Visitor<'de> for Pairs<V> {
            type Value = Vec<(String, V)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    out.push((k, v));
                }
                Ok(out)
            }
        }
        d.deserialize_map(Pairs(PhantomData))
    }
}

/// A [`Word`] as a `serde` value, for [`pairs`] of words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsWord<W>(pub W);

impl<W: Word> Serialize for AsWord<W> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        word::serialize(&self.0, s)
    }
}

impl<'de, W: Word> Deserialize<'de> for AsWord<W> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        word::deserialize(d).map(AsWord)
    }
}

/// `#[serde(with = "vocab::word_pairs")]` for `(name, word)` pairs written as an object.
pub mod word_pairs {
    use super::{pairs, AsWord, Deserializer, Serializer, Word};

    /// Writes the pairs as an object of spellings.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<W: Word, S: Serializer>(p: &[(String, W)], s: S) -> Result<S::Ok, S::Error> {
        let words: Vec<(String, AsWord<W>)> =
            p.iter().map(|(k, w)| (k.clone(), AsWord(*w))).collect();
        pairs::serialize(&words, s)
    }

    /// Reads an object of names (any case), keeping its order.
    ///
    /// # Errors
    /// An unknown name (with its key in the JSON path).
    pub fn deserialize<'de, W: Word, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, W)>, D::Error> {
        let words: Vec<(String, AsWord<W>)> = pairs::deserialize(d)?;
        Ok(words.into_iter().map(|(k, w)| (k, w.0)).collect())
    }
}

/// `#[serde(with = "vocab::hex")]` for an optional byte buffer written as hex (or `null`).
pub mod hex {
    use super::{de, Deserialize, Deserializer, Serialize, Serializer};

    /// Writes lower-case hex, or `null`.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        b.as_ref()
            .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
            .serialize(s)
    }

    /// Reads an even-length hex string, or `null`.
    ///
    /// # Errors
    /// Anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let bytes: Option<Vec<u8>> = if text.len() % 2 == 0 {
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
                .collect()
        } else {
            None
        };
        bytes
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("{text:?} is not an even-length hex string")))
    }
}

/// A regular expression that matches `names` in any letter case (JSON Schema patterns have no
/// case-insensitive flag).
fn any_case(names: &[&str]) -> String {
    let alternatives: Vec<String> = names
        .iter()
        .map(|n| {
            n.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    format!("^(?:{})$", alternatives.join("|"))
}

/// The schema of one name of `names` (completion offers the SPEC spelling; any case is valid),
/// or also a DWORD when `numbers`.
fn names_schema(names: &[&str], numbers: bool) -> Schema {
    let mut any_of = vec![
        json_schema!({ "type": "string", "enum": names }),
        json_schema!({ "type": "string", "pattern": any_case(names) }),
    ];
    if numbers {
        any_of.push(json_schema!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }));
    }
    json_schema!({ "anyOf": any_of })
}

/// `#[schemars(with = "Spelled<W>")]`: the schema of a [`Word`].
pub struct Spelled<W>(PhantomData<W>);

impl<W: Word> JsonSchema for Spelled<W> {
    fn schema_name() -> Cow<'static, str> {
        let name = W::WHAT.replace(' ', "_");
        Cow::Owned(format!("{}{}", name[..1].to_ascii_uppercase(), &name[1..]))
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = names_schema(&W::spellings(), W::NUMBERS);
        s.insert(
            "description".into(),
            format!(
                "A {} name (any letter case){}.",
                W::WHAT,
                if W::NUMBERS { " or number" } else { "" }
            )
            .into(),
        );
        s
    }
}

/// `#[schemars(with = "FlagList<F>")]`: the schema of a flag list of `F`.
pub struct FlagList<F>(PhantomData<F>);

impl<F: Flags<Bits = u32> + 'static> JsonSchema for FlagList<F> {
    fn schema_name() -> Cow<'static, str> {
        let type_name = std::any::type_name::<F>();
        Cow::Owned(
            type_name
                .rsplit("::")
                .next()
                .unwrap_or(type_name)
                .to_owned(),
        )
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = F::FLAGS.iter().map(bitflags::Flag::name).collect();
        json_schema!({
            "description": "Flag names (any letter case) or numbers of raw bits, OR-ed together.",
            "type": "array",
            "items": names_schema(&names, true),
        })
    }
}

#[cfg(test)]
mod tests {
    use offline_v2::types::{MoveGroupFlags, OfflineFlags};

    use super::*;

    #[test]
    fn words_read_in_any_case_and_write_their_spec_spelling() {
        let code: ErrorCode = word_of_value(&Value::from("error_io_pending")).expect("a code");
        assert_eq!(code, ErrorCode::ERROR_IO_PENDING);
        assert_eq!(word_value(code), Value::from("ERROR_IO_PENDING"));
        assert_eq!(word_value(ErrorCode(4242)), Value::from(4242));
        let state: ResourceState = word_of_value(&Value::from("oFFLINEpENDING")).expect("a state");
        assert_eq!(state, ResourceState::OfflinePending);
        let e = word_of_value::<ResourceState>(&Value::from("Sleeping")).expect_err("unknown");
        assert!(
            e.starts_with("unknown state \"Sleeping\" (expected one of: Offline,"),
            "{e}"
        );
        let e = word_of_value::<ResourceState>(&Value::from(3)).expect_err("no numbers");
        assert_eq!(e, "expected a state name, found a number");
        let e = word_of_value::<ErrorCode>(&Value::from(1u64 << 40)).expect_err("too big");
        assert!(e.contains("does not fit in a DWORD"), "{e}");
    }

    #[test]
    fn flag_lists_keep_unknown_bits_and_name_the_bad_element() {
        let f = OfflineFlags::from_bits_retain(0x42 | 0x100);
        let v = serde_json::to_value(Wrap(f)).expect("serializes");
        assert_eq!(
            v,
            serde_json::json!([
                "RETURN_TO_SOURCE_NODE_ON_ERROR",
                "DO_NOT_UPDATE_PERSISTENT_STATE",
                256
            ])
        );
        let back: Wrap<OfflineFlags> = serde_json::from_value(v).expect("reads back");
        assert_eq!(back.0, f);
        let e = serde_path_to_error::deserialize::<_, Wrap<MoveGroupFlags>>(serde_json::json!([
            "queue_enabled",
            "NOPE"
        ]))
        .expect_err("unknown flag");
        assert_eq!(e.path().to_string(), "[1]");
        assert!(e
            .inner()
            .to_string()
            .starts_with("unknown flag \"NOPE\" (expected one of: IGNORE_RESOURCE_STATUS"));
    }

    #[test]
    fn the_case_insensitive_pattern_matches_exactly_the_names() {
        assert_eq!(any_case(&["Ab-1"]), "^(?:[Aa][Bb]-1)$");
    }

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(transparent)]
    struct Wrap<F: Flags<Bits = u32>>(#[serde(with = "flags")] F);
}
