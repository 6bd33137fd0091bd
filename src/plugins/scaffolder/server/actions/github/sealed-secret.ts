/**
 * `value` encrypted for GitHub's Actions secrets API: a libsodium sealed box to the
 * repository's (or environment's) public key, base64 both ways, as GitHub requires.
 */
export async function sealSecret(publicKeyBase64: string, value: string): Promise<string> {
  // Loaded here: libsodium is a megabyte of JavaScript that only this action needs.
  const { default: sodium } = await import('libsodium-wrappers');
  await sodium.ready;
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
