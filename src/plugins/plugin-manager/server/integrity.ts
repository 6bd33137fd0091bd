import { createHash } from 'node:crypto';

const ALGORITHMS = ['sha512', 'sha384', 'sha256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** npm's Subresource Integrity string of some bytes: `sha512-<base64>`. */
export function sriOf(bytes: Uint8Array, algorithm: Algorithm = 'sha512'): string {
  return `${algorithm}-${createHash(algorithm).update(bytes).digest('base64')}`;
}

/**
 * Whether `bytes` match an SRI string, which may list several hashes (`sha512-… sha256-…`, as
 * npm's `ssri` accepts): one match of a supported algorithm is enough, as for browsers.
 */
export function integrityMatches(expected: string, bytes: Uint8Array): boolean {
  return expected
    .trim()
    .split(/\s+/)
    .some((hash) => {
      const algorithm = hash.slice(0, hash.indexOf('-')) as Algorithm;
      return ALGORITHMS.includes(algorithm) && sriOf(bytes, algorithm) === hash;
    });
}
