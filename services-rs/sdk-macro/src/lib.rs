//! `#[marine]`: turns `pub fn`s into module exports, structs into records and `extern` blocks
//! into imports from other modules, following `services-rs/ABI.md`.

mod types;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    parse_macro_input, Attribute, FnArg, ForeignItem, Ident, Item, ItemFn, ItemForeignMod, ItemStruct, Lit, Meta,
    NestedMeta, Pat, ReturnType, Signature, Type, Visibility,
};
use types::{json_string, parse, record_checks, Parsed, Passing, Position};

/// Marks an item for the module interface: a `pub fn` becomes an export, a struct with named
/// fields a record, and an `extern "C"` block with `#[module_import("…")]`, `#[host_import]` or
/// `#[link(wasm_import_module = "…")]` a set of functions imported from another module of the
/// service (or from the host's mounted binaries).
#[proc_macro_attribute]
pub fn marine(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = TokenStream2::from(attr);
    if !attr.is_empty() {
        return syn::Error::new_spanned(attr, "#[marine] takes no arguments").to_compile_error().into();
    }
    let item = parse_macro_input!(item as Item);
    let out = match item {
        Item::Fn(f) => export(f),
        Item::Struct(s) => record(s),
        Item::ForeignMod(m) => imports(m),
        Item::Enum(e) => Err(syn::Error::new_spanned(
            e.enum_token,
            "#[marine] does not support enums; use a #[marine] struct (e.g. with a `kind: String` field)",
        )),
        other => Err(syn::Error::new_spanned(
            other,
            "#[marine] applies to `pub fn` items, structs with named fields, and `extern \"C\"` blocks",
        )),
    };
    out.unwrap_or_else(|e| e.to_compile_error()).into()
}

/// A custom-section static holding one interface entry (a JSON line).
fn entry_static(json: &str) -> TokenStream2 {
    let line = format!("{}\n", json);
    let bytes = syn::LitByteStr::new(line.as_bytes(), Span::call_site());
    let len = line.len();
    quote! {
        const _: () = {
            #[link_section = "marine-ts:interface"]
            #[used]
            static __MARINE_ENTRY: [u8; #len] = *#bytes;
        };
    }
}

fn err<T>(node: impl ToTokens, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new_spanned(node, msg))
}

/// A parameter after checking: its name in the entry, its binding and its type.
struct Param {
    name: String,
    /// The wrapper's local holding the lifted value.
    ident: Ident,
    /// The parameter's own binding (used when the macro declares the signature itself).
    binding: Ident,
    ty: Type,
    parsed: Parsed,
}

/// The parameters and the result (its type and how it is passed) of a checked signature.
type CheckedSignature = (Vec<Param>, Option<(Type, Parsed)>);

fn check_signature(sig: &Signature, what: &str, pos: Position) -> syn::Result<CheckedSignature> {
    if let Some(c) = &sig.constness {
        return err(c, format!("#[marine] {} cannot be `const`", what));
    }
    if let Some(a) = &sig.asyncness {
        return err(a, format!("#[marine] {} cannot be `async`: module calls are synchronous", what));
    }
    if let Some(v) = &sig.variadic {
        return err(v, format!("#[marine] {} cannot be variadic", what));
    }
    if !sig.generics.params.is_empty() {
        return err(
            &sig.generics,
            format!(
                "#[marine] {} cannot have generics or lifetimes: types with lifetimes or generics aren't allowed",
                what
            ),
        );
    }
    if let Some(w) = &sig.generics.where_clause {
        return err(w, format!("#[marine] {} cannot have a where clause", what));
    }
    let mut params = Vec::new();
    for (i, arg) in sig.inputs.iter().enumerate() {
        let pt = match arg {
            FnArg::Receiver(r) => return err(r, "#[marine] does not support methods (`self`); use a free function"),
            FnArg::Typed(pt) => pt,
        };
        let (name, binding) = match &*pt.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                (pi.ident.unraw().to_string(), pi.ident.clone())
            }
            Pat::Wild(_) => (format!("arg{}", i), format_ident!("arg{}", i)),
            other => return err(other, "#[marine] parameters must be plain names (patterns are not supported)"),
        };
        let parsed = parse(&pt.ty, pos)?;
        params.push(Param { name, binding, ident: format_ident!("__marine_arg{}", i), ty: (*pt.ty).clone(), parsed });
    }
    let result = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => None,
            ty => Some(((*ty).clone(), parse(ty, Position::Result)?)),
        },
    };
    Ok((params, result))
}

fn params_json(params: &[Param]) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|p| format!("{{\"name\":{},\"type\":{}}}", json_string(&p.name), p.parsed.ty.json()))
        .collect();
    format!("[{}]", items.join(","))
}

fn result_json(result: &Option<(Type, Parsed)>) -> String {
    match result {
        None => "null".to_string(),
        Some((_, p)) => p.ty.json(),
    }
}

/// `<T as MarineType>` spanned at the type, so unsupported record types are reported there.
fn marine_type(owned: &TokenStream2, span: Span) -> TokenStream2 {
    quote_spanned! {span=> <#owned as ::marine_rs_sdk::__private::MarineType> }
}

/// Names of the generated code's own locals. Mixed-site hygiene keeps them apart from the
/// user's parameter and field names (a field called `ptr` or a parameter called `__args`).
fn internal_idents() -> (Ident, Ident, Ident, Ident, Ident, Ident, Ident) {
    let hygienic = |name: &str| Ident::new(name, Span::mixed_site());
    (
        hygienic("__off"),
        hygienic("__args"),
        hygienic("__arena"),
        hygienic("__ret"),
        hygienic("__result"),
        hygienic("o"),
        hygienic("ptr"),
    )
}

fn export(f: ItemFn) -> syn::Result<TokenStream2> {
    let (v_off, v_args, v_arena, v_ret, v_result, v_o, v_ptr) = internal_idents();
    let _ = (&v_off, &v_args, &v_arena, &v_ret, &v_result, &v_o, &v_ptr);
    match &f.vis {
        Visibility::Public(_) => {}
        _ => return err(f.sig.fn_token, "#[marine] functions must be `pub`: they are exported from the module"),
    }
    if let Some(u) = &f.sig.unsafety {
        return err(u, "#[marine] functions cannot be `unsafe`: the host calls them like safe functions");
    }
    if let Some(abi) = &f.sig.abi {
        return err(
            abi,
            "#[marine] functions cannot declare an ABI (`extern`); the macro generates the exported wrapper",
        );
    }
    let (params, result) = check_signature(&f.sig, "functions", Position::ExportParam)?;
    let name = f.sig.ident.unraw().to_string();
    let fn_ident = &f.sig.ident;
    let export_name = format!("__marine_export_{}", name);
    let json = format!(
        "{{\"kind\":\"function\",\"name\":{},\"params\":{},\"result\":{},\"export\":{}}}",
        json_string(&name),
        params_json(&params),
        result_json(&result),
        json_string(&export_name)
    );
    let entry = entry_static(&json);

    let mut checks = TokenStream2::new();
    let mut lifts = TokenStream2::new();
    let mut align = quote!(1usize);
    let mut call_args = Vec::new();
    for p in &params {
        checks.extend(record_checks(&p.parsed, &p.ty));
        let mt = marine_type(&p.parsed.owned, p.ty.span());
        let ident = &p.ident;
        align = quote_spanned!(p.ty.span()=> ::marine_rs_sdk::__private::max_align(#align, #mt::ALIGN));
        lifts.extend(quote_spanned! {p.ty.span()=>
            #v_off = ::marine_rs_sdk::__private::align_to(#v_off, #mt::ALIGN);
            let #ident = #mt::load(#v_args.add(#v_off));
            #v_off += #mt::SIZE;
        });
        call_args.push(match p.parsed.passing {
            Passing::Owned => quote!(#ident),
            Passing::RefStr => quote!(#ident.as_str()),
            Passing::Ref => quote!(&#ident),
        });
    }
    let free_params = if params.is_empty() {
        quote!()
    } else {
        quote! {
            const __ALIGN: usize = #align;
            ::marine_rs_sdk::__private::free(#v_args, ::marine_rs_sdk::__private::align_to(#v_off, __ALIGN), __ALIGN);
        }
    };
    let ret = match &result {
        None => quote! { #fn_ident(#(#call_args),*); ::core::ptr::null_mut() },
        Some((ty, parsed)) => {
            checks.extend(record_checks(parsed, ty));
            let lower = quote_spanned! {ty.span()=> ::marine_rs_sdk::__private::export_result::<#ty>(#v_result) };
            quote! {
                let #v_result: #ty = #fn_ident(#(#call_args),*);
                #lower
            }
        }
    };
    let wrapper = format_ident!("__marine_export_{}", fn_ident.unraw());
    Ok(quote! {
        #f
        #entry
        #checks
        const _: () = {
            #[export_name = #export_name]
            #[doc(hidden)]
            pub unsafe extern "C" fn #wrapper(#v_args: *mut u8) -> *mut u8 {
                ::marine_rs_sdk::__private::begin_export();
                #[allow(unused_mut, unused_variables)]
                let mut #v_off: usize = 0;
                #lifts
                #free_params
                #ret
            }
        };
    })
}

fn record(s: ItemStruct) -> syn::Result<TokenStream2> {
    let (v_off, v_args, v_arena, v_ret, v_result, v_o, v_ptr) = internal_idents();
    let _ = (&v_off, &v_args, &v_arena, &v_ret, &v_result, &v_o, &v_ptr);
    if !s.generics.params.is_empty() {
        return err(
            &s.generics,
            "#[marine] structs cannot have generics or lifetimes: types with lifetimes or generics aren't allowed",
        );
    }
    if let Some(w) = &s.generics.where_clause {
        return err(w, "#[marine] structs cannot have a where clause");
    }
    let fields = match &s.fields {
        syn::Fields::Named(n) => n,
        syn::Fields::Unnamed(u) => {
            return err(u, "#[marine] supports only structs with named fields (tuple structs are not records)")
        }
        syn::Fields::Unit => {
            return err(&s.ident, "#[marine] supports only structs with named fields (a unit struct is not a record)")
        }
    };
    if fields.named.is_empty() {
        return err(&s.fields, "#[marine] records need at least one field (WIT has no empty records)");
    }
    let name = s.ident.unraw().to_string();
    let ident = &s.ident;
    let mut json_fields = Vec::new();
    let mut checks = TokenStream2::new();
    let mut align = quote!(1usize);
    let mut size_steps = TokenStream2::new();
    let mut stores = TokenStream2::new();
    let mut loads = TokenStream2::new();
    let mut field_idents = Vec::new();
    for field in &fields.named {
        let fident = field.ident.as_ref().expect("named field");
        let parsed = parse(&field.ty, Position::Field)?;
        checks.extend(record_checks(&parsed, &field.ty));
        json_fields.push(format!(
            "{{\"name\":{},\"type\":{}}}",
            json_string(&fident.unraw().to_string()),
            parsed.ty.json()
        ));
        let mt = marine_type(&parsed.owned, field.ty.span());
        align = quote_spanned!(field.ty.span()=> ::marine_rs_sdk::__private::max_align(#align, #mt::ALIGN));
        size_steps.extend(quote_spanned! {field.ty.span()=>
            #v_o = ::marine_rs_sdk::__private::align_to(#v_o, #mt::ALIGN);
            #v_o += #mt::SIZE;
        });
        stores.extend(quote_spanned! {field.ty.span()=>
            #v_o = ::marine_rs_sdk::__private::align_to(#v_o, #mt::ALIGN);
            #mt::store(self.#fident, #v_ptr.add(#v_o), #v_arena);
            #v_o += #mt::SIZE;
        });
        loads.extend(quote_spanned! {field.ty.span()=>
            #v_o = ::marine_rs_sdk::__private::align_to(#v_o, #mt::ALIGN);
            let #fident = #mt::load(#v_ptr.add(#v_o));
            #v_o += #mt::SIZE;
        });
        field_idents.push(fident.clone());
    }
    let json =
        format!("{{\"kind\":\"record\",\"name\":{},\"fields\":[{}]}}", json_string(&name), json_fields.join(","));
    let entry = entry_static(&json);
    Ok(quote! {
        #s
        #entry
        #checks
        const _: () = {
            unsafe impl ::marine_rs_sdk::__private::MarineType for #ident {
                const ALIGN: usize = #align;
                const SIZE: usize = {
                    let mut #v_o: usize = 0;
                    #size_steps
                    ::marine_rs_sdk::__private::align_to(#v_o, Self::ALIGN)
                };
                #[allow(unused_assignments)]
                unsafe fn store(self, #v_ptr: *mut u8, #v_arena: &mut ::marine_rs_sdk::__private::Arena) {
                    let mut #v_o: usize = 0;
                    #stores
                }
                #[allow(unused_assignments)]
                unsafe fn load(#v_ptr: *const u8) -> Self {
                    let mut #v_o: usize = 0;
                    #loads
                    #ident { #(#field_idents),* }
                }
            }
            impl ::marine_rs_sdk::__private::MarineRecord for #ident {
                const NAME: &'static str = #name;
            }
        };
    })
}

/// The module an `extern` block imports from, however the marine-rs-sdk release it was written
/// for names it: `#[link(wasm_import_module = "m")]` (every release), `#[module_import("m")]`
/// (0.12 and later), or `#[host_import]` (0.12 and later; the host's mounted binaries, module
/// `host` here as for `#[link(wasm_import_module = "host")]`).
fn import_module(attrs: &[Attribute]) -> syn::Result<Option<(String, Span)>> {
    let mut found: Vec<(String, Span)> = Vec::new();
    for attr in attrs {
        if attr.path.is_ident("link") {
            if let Meta::List(list) = attr.parse_meta()? {
                for nested in &list.nested {
                    if let NestedMeta::Meta(Meta::NameValue(nv)) = nested {
                        if nv.path.is_ident("wasm_import_module") {
                            match &nv.lit {
                                Lit::Str(s) if !s.value().is_empty() => found.push((s.value(), s.span())),
                                other => return err(other, "#[marine]: `wasm_import_module` must be a non-empty string naming the module to import from"),
                            }
                        }
                    }
                }
            }
        } else if attr.path.is_ident("module_import") {
            let lit: syn::LitStr = attr.parse_args().map_err(|_| {
                syn::Error::new_spanned(attr, "#[marine]: expected `#[module_import(\"<module>\")]` naming the module to import from")
            })?;
            if lit.value().is_empty() {
                return err(&lit, "#[marine]: `#[module_import(\"…\")]` needs a non-empty module name");
            }
            found.push((lit.value(), lit.span()));
        } else if attr.path.is_ident("host_import") {
            if !attr.tokens.is_empty() {
                return err(attr, "#[marine]: `#[host_import]` takes no arguments");
            }
            found.push(("host".to_string(), attr.path.span()));
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(syn::Error::new(
            found[1].1,
            "#[marine] extern blocks take one of `#[link(wasm_import_module = \"…\")]`, `#[module_import(\"…\")]` or `#[host_import]`, not several",
        )),
    }
}

fn link_name(attrs: &[Attribute]) -> syn::Result<Option<String>> {
    for attr in attrs {
        if attr.path.is_ident("link_name") {
            return match attr.parse_meta()? {
                Meta::NameValue(nv) => match &nv.lit {
                    Lit::Str(s) if !s.value().is_empty() => Ok(Some(s.value())),
                    other => err(other, "#[marine]: `link_name` must be a non-empty string"),
                },
                other => err(other, "#[marine]: expected `#[link_name = \"name\"]`"),
            };
        }
    }
    Ok(None)
}

fn imports(m: ItemForeignMod) -> syn::Result<TokenStream2> {
    let (v_off, v_args, v_arena, v_ret, v_result, v_o, v_ptr) = internal_idents();
    let _ = (&v_off, &v_args, &v_arena, &v_ret, &v_result, &v_o, &v_ptr);
    if let Some(name) = &m.abi.name {
        if name.value() != "C" {
            return err(name, format!("#[marine] extern blocks must use the \"C\" ABI (found \"{}\")", name.value()));
        }
    }
    let module = match import_module(&m.attrs)? {
        Some((module, _)) => module,
        None => {
            return err(
                &m.abi,
                "#[marine] extern blocks need the module they import from: `#[module_import(\"<module>\")]`, `#[host_import]` (mounted binaries) or `#[link(wasm_import_module = \"<module>\")]`",
            )
        }
    };
    let mut out = TokenStream2::new();
    for item in &m.items {
        let f = match item {
            ForeignItem::Fn(f) => f,
            other => return err(other, "#[marine] extern blocks may contain only functions"),
        };
        let (params, result) = check_signature(&f.sig, "imported functions", Position::ImportParam)?;
        let name = f.sig.ident.unraw().to_string();
        let link = link_name(&f.attrs)?.unwrap_or_else(|| name.clone());
        let shim_name = format!("__marine_import_shim_{}_{}", module, name);
        let json = format!(
            "{{\"kind\":\"import\",\"module\":{},\"name\":{},\"link_name\":{},\"params\":{},\"result\":{},\"shim\":{}}}",
            json_string(&module),
            json_string(&name),
            json_string(&link),
            params_json(&params),
            result_json(&result),
            json_string(&shim_name)
        );
        out.extend(entry_static(&json));

        let attrs: Vec<&Attribute> = f.attrs.iter().filter(|a| !a.path.is_ident("link_name")).collect();
        let vis = &f.vis;
        let ident = &f.sig.ident;
        let decl_params = params.iter().map(|p| {
            let ty = &p.ty;
            let name = &p.binding;
            quote!(#name: #ty)
        });
        let mut checks = TokenStream2::new();
        let mut align = quote!(1usize);
        let mut size_steps = TokenStream2::new();
        let mut stores = TokenStream2::new();
        for p in &params {
            checks.extend(record_checks(&p.parsed, &p.ty));
            let mt = marine_type(&p.parsed.owned, p.ty.span());
            let name = &p.binding;
            let value = match p.parsed.passing {
                Passing::RefStr => quote!(::std::string::String::from(#name)),
                _ => quote!(#name),
            };
            align = quote_spanned!(p.ty.span()=> ::marine_rs_sdk::__private::max_align(#align, #mt::ALIGN));
            size_steps.extend(quote_spanned! {p.ty.span()=>
                #v_o = ::marine_rs_sdk::__private::align_to(#v_o, #mt::ALIGN);
                #v_o += #mt::SIZE;
            });
            stores.extend(quote_spanned! {p.ty.span()=>
                #v_off = ::marine_rs_sdk::__private::align_to(#v_off, #mt::ALIGN);
                #mt::store(#value, #v_args.add(#v_off), &mut #v_arena);
                #v_off += #mt::SIZE;
            });
        }
        let args = if params.is_empty() {
            quote!(let #v_args: *mut u8 = ::core::ptr::null_mut();)
        } else {
            quote! {
                const __ALIGN: usize = #align;
                const __SIZE: usize = {
                    let mut #v_o: usize = 0;
                    #size_steps
                    ::marine_rs_sdk::__private::align_to(#v_o, __ALIGN)
                };
                let #v_args: *mut u8 = #v_arena.alloc(__SIZE, __ALIGN);
                let mut #v_off: usize = 0;
                #stores
            }
        };
        let (ret_ty, ret_area, lift) = match &result {
            None => (quote!(), quote!(let #v_ret: *mut u8 = ::core::ptr::null_mut();), quote!()),
            Some((ty, parsed)) => {
                checks.extend(record_checks(parsed, ty));
                let mt = marine_type(&parsed.owned, ty.span());
                (
                    quote!(-> #ty),
                    quote_spanned!(ty.span()=> let #v_ret: *mut u8 = #v_arena.alloc(#mt::SIZE, #mt::ALIGN);),
                    quote_spanned!(ty.span()=> #mt::load(#v_ret)),
                )
            }
        };
        let raw = format_ident!("__marine_raw_{}", ident.unraw());
        let shim = format_ident!("__marine_import_shim_{}", ident.unraw());
        let names = params.iter().map(|p| &p.binding);
        let decl_params: Vec<TokenStream2> = decl_params.collect();
        let panic_msg = format!(
            "`{}` is imported from the Wasm module `{}`; it can be called only inside a Wasm module",
            name, module
        );
        out.extend(quote! {
            #checks
            #[cfg(target_arch = "wasm32")]
            #(#attrs)*
            #[allow(unused_unsafe, clippy::too_many_arguments)]
            #vis fn #ident(#(#decl_params),*) #ret_ty {
                #[link(wasm_import_module = #module)]
                extern "C" {
                    #[link_name = #link]
                    fn #raw(args: *const u8, ret: *mut u8);
                }
                // marine build replaces this body with the Canonical ABI call of the import.
                #[export_name = #shim_name]
                #[inline(never)]
                #[doc(hidden)]
                pub unsafe extern "C" fn #shim(args: *const u8, ret: *mut u8) {
                    #raw(args, ret)
                }
                unsafe {
                    let mut #v_arena = ::marine_rs_sdk::__private::Arena::new();
                    #args
                    #ret_area
                    #shim(#v_args, #v_ret);
                    #lift
                }
            }
            // Outside Wasm (unit tests on the build machine) there is nothing to import from.
            #[cfg(not(target_arch = "wasm32"))]
            #(#attrs)*
            #[allow(clippy::too_many_arguments)]
            #vis fn #ident(#(#decl_params),*) #ret_ty {
                #(let _ = &#names;)*
                ::core::panic!(#panic_msg)
            }
        });
    }
    Ok(out)
}
