/** Hashing of categorical values into a fixed number of buckets (the "hashing trick"). */

/**
 * MurmurHash3's 32-bit finalizer: a bijective mixer that spreads every input bit.
 * @param h a 32-bit value.
 * @returns the mixed value as a uint32.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * 32-bit hash of a string (FNV-1a over UTF-16 code units, then fmix32), salted per field.
 * Stable across runs, platforms and versions of Node.
 * @param s the string.
 * @param salt per-field salt (default 0), e.g. the field index.
 * @returns a uint32.
 */
export function hashString(s: string, salt = 0): number {
  let h = (0x811c9dc5 ^ fmix32(salt + 1)) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/**
 * Hash of a 32-bit integer value, salted per field.
 * @param v the value (taken as 32 bits).
 * @param salt per-field salt (default 0).
 * @returns a uint32.
 */
export function hashUint32(v: number, salt = 0): number {
  return fmix32((v ^ Math.imul(salt + 1, 0x9e3779b9)) >>> 0);
}

/**
 * Bucket in [1, buckets) for a hash; bucket 0 is reserved for a missing value, so "absent" never
 * shares an embedding row with a real value.
 * @param hash a uint32 hash.
 * @param buckets number of buckets, an integer >= 2 (not checked).
 * @returns 1 + hash mod (buckets - 1).
 */
export function bucketOf(hash: number, buckets: number): number {
  return 1 + (hash % (buckets - 1));
}

export function checkBuckets(buckets: unknown, name = 'buckets'): number {
  if (typeof buckets !== 'number' || !Number.isInteger(buckets) || buckets < 2 || buckets > 2 ** 32) {
    throw new TypeError(`${name} must be an integer from 2 to 2^32, got ${String(buckets)}`);
  }
  return buckets;
}
