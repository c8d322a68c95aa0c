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

// Typed records in #[marine_test]: the macro generates Numbers, Nested and Outer from the built
// module, and every value crosses the host as it would in Marine (an Option as a Vec of 0 or 1).
#[cfg(test)]
mod tests {
    use marine_rs_sdk_test::marine_test;

    #[marine_test(config_path = "../Config.toml", modules_dir = "../../../artifacts")]
    fn records_round_trip(records: marine_test_env::records::ModuleInterface) {
        use marine_test_env::records::{Nested, Numbers, Outer};
        let numbers = Numbers {
            flag: true,
            val_u8: u8::MAX,
            val_u64: u64::MAX,
            val_i64: i64::MIN,
            val_f32: 1.5,
            val_f64: 0.1,
            text: "ünïcode \"quoted\"\n".to_string(),
            ..Default::default()
        };
        assert_eq!(records.echo_numbers(numbers.clone()), numbers);
        let nested = Nested {
            name: "tree".to_string(),
            numbers: numbers.clone(),
            children: vec![numbers.clone(), Numbers::default()],
            matrix: vec![vec![1, 2, 3], vec![]],
            maybe: vec![numbers.clone()],
            tags: vec![vec!["a".to_string()], vec![]],
        };
        let outer = Outer { inner: nested.clone(), depth: 2 };
        assert_eq!(records.echo_outer(outer.clone()), outer);
        assert_eq!(
            records.describe(nested),
            "tree: 2 children, 2 rows, maybe=ünïcode \"quoted\"\n, tags=[Some(\"a\"), None]"
        );
    }

    #[marine_test(config_path = "../Config.toml")]
    fn scalars_and_options(records: marine_test_env::records::ModuleInterface) {
        assert_eq!(records.echo_u64(u64::MAX), u64::MAX);
        assert_eq!(records.echo_i64(i64::MIN), i64::MIN);
        assert_eq!(records.echo_f64(7.0), 7.0);
        assert_eq!(records.echo_option_u64(vec![u64::MAX]), vec![u64::MAX]);
        assert_eq!(records.echo_option_string(vec![]), Vec::<String>::new());
        assert_eq!(records.echo_bytes(vec![0, 255]), vec![0, 255]);
        assert_eq!(records.string_len("four".to_string()), 4);
        records.ping();
    }

    // The multi-service form: each ServiceInterface::new() starts its own service. Records of
    // the same name and shape are one type across services, so one's result feeds the other.
    #[marine_test(
        left(config_path = "../Config.toml"),
        right(config_path = "../Config.toml"),
        greeting(config_path = "../../greeting/Config.toml")
    )]
    fn services_together() {
        let mut left = marine_test_env::left::ServiceInterface::new();
        let mut right = marine_test_env::right::ServiceInterface::new();
        let mut greeting = marine_test_env::greeting::ServiceInterface::new();
        let numbers = marine_test_env::left::Numbers { val_u32: 7, text: "typed".to_string(), ..Default::default() };
        let through_both = right.echo_numbers(left.echo_numbers(numbers.clone()));
        assert_eq!(through_both, numbers);
        assert_eq!(greeting.greeting(through_both.text), "Hi, typed");
        // Every module of a service is reachable through `modules`, the facade directly.
        assert_eq!(left.modules.records.echo_string("by module".to_string()), "by module");
    }
}
