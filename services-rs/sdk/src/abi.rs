//! Moving values through linear memory in the Component Model Canonical ABI memory layout.
//!
//! Everything here is used by code that `#[marine]` generates; service code never calls it.
//! See `services-rs/ABI.md` for the contract with `marine build`.

pub use std::alloc::Layout;
use std::alloc::{alloc, dealloc, handle_alloc_error, realloc};

/// Rounds `offset` up to a multiple of `align` (a power of two).
pub const fn align_to(offset: usize, align: usize) -> usize {
    (offset + align - 1) & !(align - 1)
}

/// The larger of two alignments.
pub const fn max_align(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Whether two strings are equal (usable in constants, unlike `==` on Rust 1.63).
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A type that `#[marine]` functions can take, return, or hold in record fields.
///
/// # Safety
/// `SIZE`/`ALIGN` must be the Canonical ABI size and alignment of the type, `store` must write
/// exactly that layout, and `PLAIN` may be true only when a `Vec<Self>`'s buffer already is the
/// canonical list payload (every value's Rust bytes are its canonical bytes).
pub unsafe trait MarineType: Sized {
    /// Canonical ABI size in bytes.
    const SIZE: usize;
    /// Canonical ABI alignment in bytes.
    const ALIGN: usize;
    /// The Rust representation of a `Vec<Self>` buffer is the canonical list payload.
    const PLAIN: bool = false;
    /// Every byte pattern of `SIZE` bytes is a valid `Self`, so a received list buffer can be
    /// adopted as a `Vec<Self>` without conversion.
    const PLAIN_LOAD: bool = false;

    /// Writes `self` at `ptr`; buffers it needs (string bytes, list elements) are taken from
    /// `arena`, which frees them when the receiver is done with them.
    ///
    /// # Safety
    /// `ptr` must point to `SIZE` writable bytes aligned to `ALIGN`.
    unsafe fn store(self, ptr: *mut u8, arena: &mut Arena);

    /// Reads a value at `ptr`, taking ownership of (and eventually freeing) the buffers it
    /// references, which must come from `cabi_realloc`.
    ///
    /// # Safety
    /// `ptr` must point to a valid canonical value of this type.
    unsafe fn load(ptr: *const u8) -> Self;
}

/// Implemented by `#[marine]` structs only; `NAME` is the record's name in the interface.
pub trait MarineRecord: MarineType {
    /// The struct's own name, as written in its interface entry.
    const NAME: &'static str;
}

/// Buffers lowered for a receiver, freed together when the receiver no longer needs them.
pub struct Arena {
    buffers: Vec<(*mut u8, Layout)>,
}

impl Arena {
    /// An arena holding nothing.
    pub const fn new() -> Self {
        Arena { buffers: Vec::new() }
    }

    /// Allocates `size` bytes aligned to `align`, freed with the arena.
    pub fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        if size == 0 {
            return align as *mut u8;
        }
        let layout = Layout::from_size_align(size, align).expect("canonical layout");
        // SAFETY: size is non-zero.
        let ptr = unsafe { alloc(layout) };
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        self.buffers.push((ptr, layout));
        ptr
    }

    /// Takes over a buffer allocated by the global allocator with `layout`.
    pub fn adopt(&mut self, ptr: *mut u8, layout: Layout) {
        if layout.size() != 0 {
            self.buffers.push((ptr, layout));
        }
    }
}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for (ptr, layout) in self.buffers.drain(..) {
            // SAFETY: every buffer was allocated (or adopted) with exactly this layout.
            unsafe { dealloc(ptr, layout) }
        }
    }
}

/// Frees a buffer the host allocated through `cabi_realloc`.
///
/// # Safety
/// `ptr` must come from `cabi_realloc(_, _, align, size)`.
pub unsafe fn free(ptr: *mut u8, size: usize, align: usize) {
    if size != 0 {
        dealloc(ptr, Layout::from_size_align_unchecked(size, align));
    }
}

/// The body of `cabi_realloc` (declared beside the SDK's records, see `host_api.rs`).
///
/// # Safety
/// `old_ptr`/`old_size`/`align` describe a live allocation, or `old_size` is 0.
#[doc(hidden)]
pub unsafe fn alloc_realloc(old_ptr: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    let layout = |size, align| Layout::from_size_align_unchecked(size, align);
    let ptr = if old_size == 0 {
        if new_size == 0 {
            return align as *mut u8;
        }
        alloc(layout(new_size, align))
    } else if new_size == 0 {
        dealloc(old_ptr, layout(old_size, align));
        return align as *mut u8;
    } else {
        realloc(old_ptr, layout(old_size, align), new_size)
    };
    if ptr.is_null() {
        handle_alloc_error(layout(new_size, align));
    }
    ptr
}

/// The buffers of the last export's result: the host reads them after the export returns, so
/// they live until the next export call starts.
static mut LAST_RESULT: Option<Arena> = None;

/// Called first by every generated export: frees the previous call's result buffers.
///
/// # Safety
/// Only generated export wrappers call it (modules are single-threaded and not re-entered).
pub unsafe fn begin_export() {
    LAST_RESULT = None;
}

/// Lowers an export's result into tracked buffers and returns the address of its value.
///
/// # Safety
/// Only generated export wrappers call it.
pub unsafe fn export_result<R: MarineType>(result: R) -> *mut u8 {
    let mut arena = Arena::new();
    let ptr = arena.alloc(R::SIZE, R::ALIGN);
    result.store(ptr, &mut arena);
    LAST_RESULT = Some(arena);
    ptr
}

unsafe fn read_u32(ptr: *const u8) -> u32 {
    u32::from_le_bytes(*(ptr as *const [u8; 4]))
}

unsafe fn write_u32(ptr: *mut u8, value: u32) {
    *(ptr as *mut [u8; 4]) = value.to_le_bytes();
}

macro_rules! numeric {
    ($($t:ty => $size:expr),*) => {$(
        unsafe impl MarineType for $t {
            const SIZE: usize = $size;
            const ALIGN: usize = $size;
            const PLAIN: bool = true;
            const PLAIN_LOAD: bool = true;
            unsafe fn store(self, ptr: *mut u8, _arena: &mut Arena) {
                *(ptr as *mut [u8; $size]) = self.to_le_bytes();
            }
            unsafe fn load(ptr: *const u8) -> Self {
                <$t>::from_le_bytes(*(ptr as *const [u8; $size]))
            }
        }
    )*};
}

numeric!(u8 => 1, i8 => 1, u16 => 2, i16 => 2, u32 => 4, i32 => 4, u64 => 8, i64 => 8, f32 => 4, f64 => 8);

unsafe impl MarineType for bool {
    const SIZE: usize = 1;
    const ALIGN: usize = 1;
    const PLAIN: bool = true;
    unsafe fn store(self, ptr: *mut u8, _arena: &mut Arena) {
        *ptr = self as u8;
    }
    unsafe fn load(ptr: *const u8) -> Self {
        *ptr != 0
    }
}

unsafe impl MarineType for String {
    const SIZE: usize = 8;
    const ALIGN: usize = 4;
    unsafe fn store(self, ptr: *mut u8, arena: &mut Arena) {
        let mut bytes = std::mem::ManuallyDrop::new(self.into_bytes());
        let (data, len, cap) = (bytes.as_mut_ptr(), bytes.len(), bytes.capacity());
        arena.adopt(data, Layout::from_size_align_unchecked(cap, 1));
        write_u32(ptr, data as u32);
        write_u32(ptr.add(4), len as u32);
    }
    unsafe fn load(ptr: *const u8) -> Self {
        let (data, len) = (read_u32(ptr) as *mut u8, read_u32(ptr.add(4)) as usize);
        if len == 0 {
            return String::new();
        }
        // The host allocated exactly `len` bytes with alignment 1 through cabi_realloc.
        let bytes = Vec::from_raw_parts(data, len, len);
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => panic!("marine: a string argument is not valid UTF-8: {}", e.utf8_error()),
        }
    }
}

unsafe impl<T: MarineType> MarineType for Vec<T> {
    const SIZE: usize = 8;
    const ALIGN: usize = 4;
    unsafe fn store(self, ptr: *mut u8, arena: &mut Arena) {
        let len = self.len();
        let data = if T::PLAIN {
            let mut v = std::mem::ManuallyDrop::new(self);
            let (data, cap) = (v.as_mut_ptr() as *mut u8, v.capacity());
            arena.adopt(
                data,
                Layout::from_size_align_unchecked(cap * std::mem::size_of::<T>(), std::mem::align_of::<T>()),
            );
            data
        } else {
            let data = arena.alloc(len * T::SIZE, T::ALIGN);
            for (i, item) in self.into_iter().enumerate() {
                item.store(data.add(i * T::SIZE), arena);
            }
            data
        };
        write_u32(ptr, data as u32);
        write_u32(ptr.add(4), len as u32);
    }
    unsafe fn load(ptr: *const u8) -> Self {
        let (data, len) = (read_u32(ptr) as *mut u8, read_u32(ptr.add(4)) as usize);
        if len == 0 {
            return Vec::new();
        }
        if T::PLAIN_LOAD {
            // Same layout as the host's allocation: len * size, aligned to the element.
            return Vec::from_raw_parts(data as *mut T, len, len);
        }
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            out.push(T::load(data.add(i * T::SIZE)));
        }
        free(data, len * T::SIZE, T::ALIGN);
        out
    }
}

unsafe impl<T: MarineType> MarineType for Option<T> {
    const SIZE: usize = align_to(align_to(1, T::ALIGN) + T::SIZE, max_align(1, T::ALIGN));
    const ALIGN: usize = max_align(1, T::ALIGN);
    unsafe fn store(self, ptr: *mut u8, arena: &mut Arena) {
        match self {
            None => *ptr = 0,
            Some(value) => {
                *ptr = 1;
                value.store(ptr.add(align_to(1, T::ALIGN)), arena);
            }
        }
    }
    unsafe fn load(ptr: *const u8) -> Self {
        match *ptr {
            0 => None,
            1 => Some(T::load(ptr.add(align_to(1, T::ALIGN)))),
            other => panic!("marine: invalid option discriminant {}", other),
        }
    }
}
