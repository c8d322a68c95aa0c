//! Round-trips every supported type so tests can check each one crosses the boundary intact.

use marine_rs_sdk::marine;

/// One field of every numeric type, plus bool and string.
#[marine]
#[derive(Clone, Debug, PartialEq)]
pub struct Numbers {
    pub flag: bool,
    pub val_u8: u8,
    pub val_u16: u16,
    pub val_u32: u32,
    pub val_u64: u64,
    pub val_i8: i8,
    pub val_i16: i16,
    pub val_i32: i32,
    pub val_i64: i64,
    pub val_f32: f32,
    pub val_f64: f64,
    pub text: String,
}

/// A record nesting other records, lists of records and options.
#[marine]
#[derive(Clone, Debug, PartialEq)]
pub struct Nested {
    pub name: String,
    pub numbers: Numbers,
    pub children: Vec<Numbers>,
    pub matrix: Vec<Vec<u8>>,
    pub maybe: Option<Numbers>,
    pub tags: Vec<Option<String>>,
}

/// A record holding a record that holds a record.
#[marine]
#[derive(Clone, Debug, PartialEq)]
pub struct Outer {
    pub inner: Nested,
    pub depth: u32,
}

#[marine]
pub fn echo_bool(x: bool) -> bool {
    x
}

#[marine]
pub fn echo_u8(x: u8) -> u8 {
    x
}

#[marine]
pub fn echo_u16(x: u16) -> u16 {
    x
}

#[marine]
pub fn echo_u32(x: u32) -> u32 {
    x
}

#[marine]
pub fn echo_u64(x: u64) -> u64 {
    x
}

#[marine]
pub fn echo_i8(x: i8) -> i8 {
    x
}

#[marine]
pub fn echo_i16(x: i16) -> i16 {
    x
}

#[marine]
pub fn echo_i32(x: i32) -> i32 {
    x
}

#[marine]
pub fn echo_i64(x: i64) -> i64 {
    x
}

#[marine]
pub fn echo_f32(x: f32) -> f32 {
    x
}

#[marine]
pub fn echo_f64(x: f64) -> f64 {
    x
}

#[marine]
pub fn echo_string(s: String) -> String {
    s
}

/// Takes a borrowed string, as marine-rs-sdk allows.
#[marine]
pub fn string_len(s: &str) -> u64 {
    s.len() as u64
}

#[marine]
pub fn echo_bytes(b: Vec<u8>) -> Vec<u8> {
    b
}

#[marine]
pub fn echo_matrix(m: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    m
}

#[marine]
pub fn echo_deep(m: Vec<Vec<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    m
}

#[marine]
pub fn echo_strings(v: Vec<String>) -> Vec<String> {
    v
}

#[marine]
pub fn echo_i64s(v: Vec<i64>) -> Vec<i64> {
    v
}

#[marine]
pub fn echo_f64s(v: Vec<f64>) -> Vec<f64> {
    v
}

#[marine]
pub fn echo_bools(v: Vec<bool>) -> Vec<bool> {
    v
}

#[marine]
pub fn echo_numbers(n: Numbers) -> Numbers {
    n
}

#[marine]
pub fn echo_nested(n: Nested) -> Nested {
    n
}

#[marine]
pub fn echo_outer(o: Outer) -> Outer {
    o
}

#[marine]
pub fn echo_records(v: Vec<Nested>) -> Vec<Nested> {
    v
}

#[marine]
pub fn echo_option_u64(x: Option<u64>) -> Option<u64> {
    x
}

#[marine]
pub fn echo_option_string(x: Option<String>) -> Option<String> {
    x
}

#[marine]
pub fn echo_option_record(x: Option<Numbers>) -> Option<Numbers> {
    x
}

/// Every numeric type as a separate parameter (more than 16 flat values, so the params tuple
/// travels through memory), collected into a record.
#[marine]
#[allow(clippy::too_many_arguments)]
pub fn collect(
    flag: bool,
    val_u8: u8,
    val_u16: u16,
    val_u32: u32,
    val_u64: u64,
    val_i8: i8,
    val_i16: i16,
    val_i32: i32,
    val_i64: i64,
    val_f32: f32,
    val_f64: f64,
    text: String,
    extra1: u64,
    extra2: u64,
    extra3: u64,
    extra4: u64,
) -> Numbers {
    let _ = (extra1, extra2, extra3, extra4);
    Numbers { flag, val_u8, val_u16, val_u32, val_u64, val_i8, val_i16, val_i32, val_i64, val_f32, val_f64, text }
}

/// Splits a record back into a string (checks that nested values arrive in the right fields).
#[marine]
pub fn describe(n: Nested) -> String {
    format!(
        "{}: {} children, {} rows, maybe={}, tags={:?}",
        n.name,
        n.children.len(),
        n.matrix.len(),
        n.maybe.map(|m| m.text).unwrap_or_else(|| "none".to_string()),
        n.tags
    )
}

/// A function with neither parameters nor result.
#[marine]
pub fn ping() {}

/// A 1 MiB string made inside the module (for size tests in the other direction).
#[marine]
pub fn big_string(len: u32) -> String {
    "x".repeat(len as usize)
}
