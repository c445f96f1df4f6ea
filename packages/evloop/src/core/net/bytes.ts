// Bytes-like arguments (Python's buffer protocol): every view, ArrayBuffer
// and SharedArrayBuffer the runtime has, as a Uint8Array over the same memory.
// Browser-safe.

import { typeName } from '../values.js';
import type { BytesLike } from './backend.js';

/** Python's word for the type in "a bytes-like object is required, not 'str'". */
function pyType(value: unknown): string {
  return typeof value === 'string' ? 'str' : typeName(value);
}

/** `data` as a Uint8Array over the same bytes (no copy); TypeError for anything not bytes-like. */
export function bytesView(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer) return new Uint8Array(data);
  throw new TypeError(`data argument must be a bytes-like object, not '${pyType(data)}'`);
}

/** An iterable of bytes-like values (not a string), as an array of views. */
export function bytesList(call: string, list: Iterable<BytesLike>): Uint8Array[] {
  if (
    list === null ||
    list === undefined ||
    typeof list === 'string' ||
    typeof (list as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`${call}(): list must be an iterable of bytes-like objects, got ${typeName(list)}`);
  }
  return Array.from(list, bytesView);
}
