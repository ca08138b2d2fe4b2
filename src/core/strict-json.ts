/**
 * JSON from untrusted places (archives, repositories, remote hosts). Beyond JSON.parse it refuses
 * documents larger than a cap (containerd's 20 MiB, CVE-2023-25153), duplicate member names
 * (I-JSON), and names in one object that differ only in case: Go's decoder folds `Layers` and
 * `layers` into one field while JSON.parse keeps both, so such a document means different things to
 * different tools.
 */
import { InvalidInputError } from './errors.js';

export const JSON_LIMIT = 20 * 1024 * 1024;

export function parseStrictJson(input: string | Uint8Array, what = 'JSON document', limit = JSON_LIMIT): unknown {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > limit) {
    throw new InvalidInputError(`${what} is ${size} bytes, over the ${limit}-byte limit`, { code: 'JSON_TOO_LARGE' });
  }
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${what} is not valid JSON: ${(err as Error).message}`, { code: 'BAD_JSON' });
  }
  const dup = findDuplicateKey(text);
  if (dup) throw new InvalidInputError(`${what} has duplicate member names: ${dup}`, { code: 'BAD_JSON' });
  return value;
}

/**
 * Scans already-valid JSON text and returns the first object member name that repeats (exactly or
 * case-insensitively) within one object, or undefined. Linear in the text; no recursion.
 */
function findDuplicateKey(text: string): string | undefined {
  const stack: Array<Map<string, string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Map());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Map;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const seen = stack[stack.length - 1] as Map<string, string>;
        const folded = key.toLowerCase();
        const prev = seen.get(folded);
        if (prev !== undefined) return prev === key ? `"${key}"` : `"${prev}" and "${key}"`;
        seen.set(folded, key);
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}

/** Canonical bytes for documents we write: stable key order as given, no whitespace. */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
