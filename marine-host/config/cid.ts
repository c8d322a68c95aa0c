// Content ids as Nox computes them: a module id is the IPFS CIDv1 of its bytes (raw + sha2-256 up
// to one 256 KiB chunk, otherwise a one-level dag-pb/UnixFS file over raw chunks), and a
// blueprint id is raw + sha2-256 over the blueprint's DAG-JSON encoding.
import { sha256 } from '@noble/hashes/sha2.js';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';

const RAW = 0x55;
const DAG_PB = 0x70;
const SHA2_256 = 0x12;
/** Chunk size of go-ipfs's default chunker, which Nox relies on. */
export const CHUNK_SIZE = 262144;

function rawCid(bytes: Uint8Array): CID {
  return CID.createV1(RAW, createDigest(SHA2_256, sha256(bytes)));
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function field(num: number, wire: number): number[] {
  return varint(num * 8 + wire);
}

function bytesField(num: number, bytes: Uint8Array | number[]): number[] {
  return [...field(num, 2), ...varint(bytes.length), ...bytes];
}

/** dag-pb root for a file split into raw chunks: links first, then the UnixFS data (canonical order). */
function dagPbFileRoot(chunks: Uint8Array[], total: number): Uint8Array {
  const unixfs = [...field(1, 0), 2, ...field(3, 0), ...varint(total)];
  for (const chunk of chunks) unixfs.push(...field(4, 0), ...varint(chunk.length));
  const node: number[] = [];
  for (const chunk of chunks) {
    const link = [
      ...bytesField(1, rawCid(chunk).bytes),
      ...bytesField(2, []),
      ...field(3, 0),
      ...varint(chunk.length),
    ];
    node.push(...bytesField(2, link));
  }
  node.push(...bytesField(1, unixfs));
  return Uint8Array.from(node);
}

/** The module id Nox gives these bytes (CIDv1, base32 `bafk…` or `bafy…`). */
export function moduleCid(bytes: Uint8Array): string {
  if (bytes.length <= CHUNK_SIZE) return rawCid(bytes).toString();
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_SIZE)
    chunks.push(bytes.subarray(at, at + CHUNK_SIZE));
  const root = dagPbFileRoot(chunks, bytes.length);
  return CID.createV1(DAG_PB, createDigest(SHA2_256, sha256(root))).toString();
}

/** DAG-JSON of a blueprint: keys in canonical order, dependencies as links, no whitespace. */
export function blueprintDagJson(name: string, dependencies: readonly string[]): string {
  const deps = dependencies
    .map((cid) => `{"/":${JSON.stringify(CID.parse(cid).toString())}}`)
    .join(',');
  return `{"dependencies":[${deps}],"name":${JSON.stringify(name)}}`;
}

/** The blueprint id Nox computes: raw + sha2-256 over the DAG-JSON bytes. */
export function blueprintId(name: string, dependencies: readonly string[]): string {
  return rawCid(new TextEncoder().encode(blueprintDagJson(name, dependencies))).toString();
}

/** True when the text parses as a CID. */
export function isCid(text: string): boolean {
  try {
    CID.parse(text);
    return true;
  } catch {
    return false;
  }
}
