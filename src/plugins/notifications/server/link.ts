import { InputError } from '../../../core/errors.ts';

/**
 * A notification's link becomes an `<a href>` in every recipient's browser: only http(s)
 * URLs and paths inside the portal, never `javascript:` or `data:`.
 */
export function checkLink(link: string, field: string): void {
  if (link.startsWith('/') && !link.startsWith('//')) return;
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new InputError(
      `${field}: "${link}" is neither an http(s) URL nor a path starting with /`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${field}: links must be http(s) URLs or paths, not ${url.protocol} URLs`);
  }
}
