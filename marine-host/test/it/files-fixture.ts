// A Marine IT module that uses its mapped directory through WASI preview 1, the way a module built
// by Fluence's `marine` for wasm32-wasi does underneath Rust's std::fs: `put(path, text)` creates
// or truncates a file in the first preopened directory (fd 3) and writes the text, `get(path)`
// reads it back, `remove(path)` unlinks it, `mkdir(path)` makes a directory, `list()` returns the
// raw dirents of fd_readdir, `dir()` names that preopen. Every call leaves the last
// WASI errno for `err()`, so a test sees exactly what the sandbox refused. Hand-written WAT with the
// IT section from fixture.ts's encoder: nothing third-party.
import { appendCustomSection } from '../../module/names-section.js';
import { API, encodeIt, liftStringResult, lowerString, type ItFn } from './fixture.js';

const WAT = `
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $prestat_name (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (global $rp (mut i32) (i32.const 0))
  (global $rs (mut i32) (i32.const 0))
  (global $err (mut i32) (i32.const 0))
  (func $alloc (export "allocate") (param $size i32) (param $tag i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 8)))
    (local.get $p))
  (func (export "release_objects") (global.set $heap (i32.const 4096)))
  (func (export "get_result_size") (result i32) (global.get $rs))
  (func (export "get_result_ptr") (result i32) (global.get $rp))
  (func (export "set_result_size") (param i32) (global.set $rs (local.get 0)))
  (func (export "set_result_ptr") (param i32) (global.set $rp (local.get 0)))
  ;; Opens path (ptr, len) in fd 3 with oflags and rights; the fd is stored at 8, errno kept.
  (func $open (param $p i32) (param $n i32) (param $oflags i32) (param $rights i64) (result i32)
    (global.set $err (call $path_open (i32.const 3) (i32.const 1) (local.get $p) (local.get $n)
      (local.get $oflags) (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 8)))
    (i32.eqz (global.get $err)))
  (func (export "put") (param $p i32) (param $n i32) (param $tp i32) (param $tn i32) (result i32)
    ;; O_CREAT | O_TRUNC, rights fd_read | fd_write
    (if (call $open (local.get $p) (local.get $n) (i32.const 9) (i64.const 66))
      (then
        (i32.store (i32.const 16) (local.get $tp))
        (i32.store (i32.const 20) (local.get $tn))
        (global.set $err (call $fd_write (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 24)))
        (drop (call $fd_close (i32.load (i32.const 8))))))
    (global.get $err))
  (func (export "get") (param $p i32) (param $n i32)
    (global.set $rp (i32.const 1024))
    (global.set $rs (i32.const 0))
    (if (call $open (local.get $p) (local.get $n) (i32.const 0) (i64.const 2))
      (then
        (i32.store (i32.const 16) (i32.const 1024))
        (i32.store (i32.const 20) (i32.const 3000))
        (global.set $err (call $fd_read (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 24)))
        (if (i32.eqz (global.get $err)) (then (global.set $rs (i32.load (i32.const 24)))))
        (drop (call $fd_close (i32.load (i32.const 8)))))))
  (func (export "remove") (param $p i32) (param $n i32) (result i32)
    (global.set $err (call $unlink (i32.const 3) (local.get $p) (local.get $n)))
    (global.get $err))
  (func (export "dir")
    (global.set $rp (i32.const 1024))
    (global.set $rs (i32.const 0))
    (global.set $err (call $prestat (i32.const 3) (i32.const 16)))
    (if (i32.eqz (global.get $err))
      (then
        (global.set $err (call $prestat_name (i32.const 3) (i32.const 1024) (i32.load (i32.const 20))))
        (global.set $rs (i32.load (i32.const 20))))))
  (func (export "err") (result i32) (global.get $err))
  (func (export "mkdir") (param $p i32) (param $n i32) (result i32)
    (global.set $err (call $mkdir (i32.const 3) (local.get $p) (local.get $n)))
    (global.get $err))
  ;; The raw dirents of the mapped directory's listing (preview 1's layout), up to 3000 bytes.
  (func (export "list")
    (global.set $rp (i32.const 1024))
    (global.set $err (call $readdir (i32.const 3) (i32.const 1024) (i32.const 3000) (i64.const 0) (i32.const 24)))
    (global.set $rs (i32.load (i32.const 24))))
)`;

/** The exports of the files fixture, in call-core order after the runtime API. */
function functions(): ItFn[] {
  const at = 6;
  return [
    {
      name: 'put',
      args: [
        ['path', 'string'],
        ['text', 'string'],
      ],
      out: 'u32',
      adapter: [
        ...lowerString(0),
        ...lowerString(1),
        ['call-core', at],
        'u32.from_i32',
        ['call-core', API.release_objects],
      ],
    },
    {
      name: 'get',
      args: [['path', 'string']],
      out: 'string',
      adapter: [...lowerString(0), ['call-core', at + 1], ...liftStringResult],
    },
    {
      name: 'remove',
      args: [['path', 'string']],
      out: 'u32',
      adapter: [
        ...lowerString(0),
        ['call-core', at + 2],
        'u32.from_i32',
        ['call-core', API.release_objects],
      ],
    },
    { name: 'dir', args: [], out: 'string', adapter: [['call-core', at + 3], ...liftStringResult] },
    { name: 'err', args: [], out: 'u32', adapter: [['call-core', at + 4], 'u32.from_i32'] },
    {
      name: 'mkdir',
      args: [['path', 'string']],
      out: 'u32',
      adapter: [
        ...lowerString(0),
        ['call-core', at + 5],
        'u32.from_i32',
        ['call-core', API.release_objects],
      ],
    },
    {
      name: 'list',
      args: [],
      out: 'bytes',
      adapter: [
        ['call-core', at + 6],
        ['call-core', API.get_result_ptr],
        ['call-core', API.get_result_size],
        'byte_array.lift_memory',
        ['call-core', API.release_objects],
      ],
    },
  ];
}

/** Builds the files fixture module (WAT assembled, IT section and SDK version appended). */
export async function buildFilesFixture(): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  let bytes = await parse(WAT);
  bytes = appendCustomSection(bytes, 'interface-types', encodeIt([], functions()));
  return appendCustomSection(bytes, '__fluence_sdk_version', new TextEncoder().encode('0.14.0'));
}
