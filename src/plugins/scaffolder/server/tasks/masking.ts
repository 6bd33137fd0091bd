export const MASK = '***';

/**
 * Replaces every secret value in text and JSON before anything is stored or shown: the raw
 * string, and the forms it takes inside JSON (escaped), URLs (percent-encoded) and base64 —
 * the ways an action most often lets a token slip into a log line or an output.
 */
export class SecretMasker {
  private readonly needles: string[];

  constructor(secrets: Iterable<string | undefined>) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (typeof secret !== 'string' || secret === '') continue;
      forms.add(secret);
      forms.add(JSON.stringify(secret).slice(1, -1));
      forms.add(encodeURIComponent(secret));
      // Short values would match inside unrelated base64 by chance.
      if (secret.length >= 6) forms.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.needles = [...forms].filter((f) => f !== '').sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  text(value: string): string {
    let out = value;
    for (const needle of this.needles) {
      if (out.includes(needle)) out = out.split(needle).join(MASK);
    }
    return out;
  }

  /** A masked deep copy of a JSON-like value: strings and object keys alike. */
  json<T>(value: T): T {
    if (this.empty) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.walk(v);
      return out;
    }
    return value;
  }
}
