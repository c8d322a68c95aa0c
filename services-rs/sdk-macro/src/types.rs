//! Which Rust types `#[marine]` accepts, and how they appear in interface entries.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, Type};

/// A supported type, as the interface entry describes it.
pub enum Ty {
    /// bool, u8…u64, i8…i64, f32, f64 (the name is the entry JSON string).
    Prim(&'static str),
    String,
    List(Box<Ty>),
    Option(Box<Ty>),
    /// A `#[marine]` struct: its name as written (checked against the struct's own name).
    Record(String),
}

impl Ty {
    /// The `type` value of an interface entry.
    pub fn json(&self) -> String {
        match self {
            Ty::Prim(name) => format!("\"{}\"", name),
            Ty::String => "\"string\"".to_string(),
            Ty::List(inner) => format!("{{\"list\":{}}}", inner.json()),
            Ty::Option(inner) => format!("{{\"option\":{}}}", inner.json()),
            Ty::Record(name) => format!("{{\"record\":{}}}", json_string(name)),
        }
    }

    /// The record types this type mentions, with the Rust type that names each of them.
    fn records<'a>(&self, ty: &'a Type, out: &mut Vec<(String, &'a Type)>) {
        match self {
            Ty::Record(name) => out.push((name.clone(), ty)),
            Ty::List(inner) | Ty::Option(inner) => {
                if let Some(arg) = single_type_arg(ty) {
                    inner.records(arg, out)
                }
            }
            _ => {}
        }
    }
}

/// How a parameter is passed to the user's function.
pub enum Passing {
    Owned,
    /// `&str`: lifted as a `String`, passed as a borrow.
    RefStr,
    /// `&T`: lifted as a `T`, passed as a borrow.
    Ref,
}

/// A parsed parameter/field/result type: what the entry says and the owned Rust type that
/// moves through memory.
pub struct Parsed {
    pub ty: Ty,
    pub owned: TokenStream,
    pub passing: Passing,
}

/// Where a type appears; references are allowed only for parameters.
#[derive(Clone, Copy, PartialEq)]
pub enum Position {
    ExportParam,
    ImportParam,
    Result,
    Field,
}

/// Escapes a string as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn err<T>(node: impl ToTokens, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new_spanned(node, msg))
}

fn single_type_arg(ty: &Type) -> Option<&Type> {
    if let Type::Path(p) = ty {
        if let Some(seg) = p.path.segments.last() {
            if let PathArguments::AngleBracketed(args) = &seg.arguments {
                if let Some(GenericArgument::Type(t)) = args.args.first() {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// Parses a type at a position, or explains why `#[marine]` cannot pass it.
pub fn parse(ty: &Type, pos: Position) -> syn::Result<Parsed> {
    if let Type::Reference(r) = ty {
        if let Some(lt) = &r.lifetime {
            return err(lt, "#[marine] does not support lifetimes: types crossing a module boundary are owned values");
        }
        if r.mutability.is_some() {
            return err(ty, "#[marine] does not support `&mut` parameters: values are copied between modules, so changes could not reach the caller; return the new value instead");
        }
        let referent_is_str = matches!(&*r.elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("str"));
        let allowed = match pos {
            Position::ExportParam => true,
            Position::ImportParam => referent_is_str,
            Position::Result | Position::Field => false,
        };
        if !allowed {
            let what = match pos {
                Position::Result => "as a result type (return an owned value such as `String` or `Vec<T>`)",
                Position::Field => "in record fields (use owned types such as `String` or `Vec<T>`)",
                _ => "as a parameter of an imported function except `&str` (pass an owned value)",
            };
            return err(ty, format!("#[marine] does not support references {}", what));
        }
        if referent_is_str {
            return Ok(Parsed {
                ty: Ty::String,
                owned: quote_spanned!(ty.span()=> ::std::string::String),
                passing: Passing::RefStr,
            });
        }
        let inner = parse(&r.elem, Position::Field)?;
        return Ok(Parsed { ty: inner.ty, owned: inner.owned, passing: Passing::Ref });
    }
    let ty_ = parse_owned(ty)?;
    Ok(Parsed { ty: ty_, owned: ty.to_token_stream(), passing: Passing::Owned })
}

fn parse_owned(ty: &Type) -> syn::Result<Ty> {
    match ty {
        Type::Path(p) => {
            if p.qself.is_some() {
                return err(
                    ty,
                    "#[marine] does not support qualified paths (`<T as Trait>::X`); name the type directly",
                );
            }
            let seg = match p.path.segments.last() {
                Some(seg) => seg,
                None => return err(ty, "#[marine]: expected a type"),
            };
            let name = seg.ident.to_string();
            let no_args = matches!(seg.arguments, PathArguments::None);
            let prim = match name.as_str() {
                "bool" => Some("bool"),
                "u8" => Some("u8"),
                "u16" => Some("u16"),
                "u32" => Some("u32"),
                "u64" => Some("u64"),
                "i8" => Some("i8"),
                "i16" => Some("i16"),
                "i32" => Some("i32"),
                "i64" => Some("i64"),
                "f32" => Some("f32"),
                "f64" => Some("f64"),
                _ => None,
            };
            if let (Some(prim), true) = (prim, no_args) {
                return Ok(Ty::Prim(prim));
            }
            match name.as_str() {
                "usize" | "isize" => return err(ty, format!("#[marine] does not support `{}`: its width differs between Wasm and the host; use u32/u64 (or i32/i64) instead", name)),
                "u128" | "i128" => return err(ty, format!("#[marine] does not support `{}`; use u64/i64, or a record of two 64-bit halves", name)),
                "char" => return err(ty, "#[marine] does not support `char`; use `String` (or a u32 code point)"),
                "str" => return err(ty, "#[marine] does not support `str` by value; use `String` (or `&str` as a parameter)"),
                "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" | "IndexMap" => {
                    return err(ty, format!("#[marine] does not support `{}`; use a `Vec` of #[marine] records (e.g. key/value pairs)", name))
                }
                // A user's own record may be called `Result`; only the generic std type is refused.
                "Result" if !no_args => return err(ty, "#[marine] does not support `Result`; return a #[marine] record with a success flag and an error message (a panic fails the call)"),
                "Box" | "Rc" | "Arc" | "Cell" | "RefCell" | "Cow" => return err(ty, format!("#[marine] does not support `{}`; pass the value itself", name)),
                "String" if no_args => return Ok(Ty::String),
                "Vec" | "Option" => {
                    let inner = match &seg.arguments {
                        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first() {
                            Some(GenericArgument::Type(t)) => t,
                            _ => return err(ty, format!("#[marine]: `{}` takes one type argument", name)),
                        },
                        _ => return err(ty, format!("#[marine]: `{}` takes one type argument", name)),
                    };
                    if let Type::Reference(_) = inner {
                        return err(inner, "#[marine] does not support references inside `Vec`/`Option`; use owned values");
                    }
                    let inner = Box::new(parse_owned(inner)?);
                    return Ok(if name == "Vec" { Ty::List(inner) } else { Ty::Option(inner) });
                }
                _ => {}
            }
            match &seg.arguments {
                PathArguments::None => Ok(Ty::Record(name)),
                PathArguments::AngleBracketed(a) if a.args.iter().any(|g| matches!(g, GenericArgument::Lifetime(_))) => {
                    err(ty, "#[marine] does not support types with lifetimes or generics")
                }
                _ => err(ty, format!("#[marine] does not support generic types (found `{}`); use a #[marine] struct with concrete field types", ty.to_token_stream())),
            }
        }
        Type::Tuple(t) if t.elems.is_empty() => err(ty, "#[marine] does not support `()` here"),
        Type::Tuple(_) => err(ty, "#[marine] does not support tuples; use a #[marine] struct with named fields"),
        Type::Array(_) => err(ty, "#[marine] does not support fixed-size arrays; use `Vec<T>`"),
        Type::Slice(_) => err(ty, "#[marine] does not support slices; use `Vec<T>`"),
        Type::Reference(_) => err(ty, "#[marine] does not support references here; use owned values"),
        Type::Ptr(_) => err(ty, "#[marine] does not support raw pointers"),
        Type::BareFn(_) => err(ty, "#[marine] does not support function pointers"),
        Type::ImplTrait(_) | Type::TraitObject(_) => {
            err(ty, "#[marine] does not support trait types; use a concrete type")
        }
        Type::Group(g) => parse_owned(&g.elem),
        Type::Paren(p) => parse_owned(&p.elem),
        _ => err(ty, format!("#[marine] does not support the type `{}`", ty.to_token_stream())),
    }
}

/// Compile-time checks that every record a type names is a `#[marine]` struct known under
/// that very name (an alias would make the entry name a record that does not exist).
pub fn record_checks(parsed: &Parsed, ty: &Type) -> TokenStream {
    let ty = match (ty, &parsed.passing) {
        (Type::Reference(r), _) => &*r.elem,
        _ => ty,
    };
    let mut records = Vec::new();
    parsed.ty.records(ty, &mut records);
    let checks = records.into_iter().map(|(name, rty)| {
        let msg = format!(
            "#[marine]: `{}` must name a #[marine] struct by its own name (type aliases and renamed imports of records are not supported)",
            name
        );
        quote_spanned! {rty.span()=>
            const _: () = ::core::assert!(
                ::marine_rs_sdk::__private::str_eq(
                    <#rty as ::marine_rs_sdk::__private::MarineRecord>::NAME, #name),
                #msg
            );
        }
    });
    quote! { #(#checks)* }
}
