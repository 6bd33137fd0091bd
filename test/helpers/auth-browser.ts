/**
 * Sign-in in Chromium, for end-to-end tests that need a signed-in user: through Atrium's
 * sign-in page and oidc-provider's own login and consent pages, as a person would.
 */
import type { Page } from 'playwright-core';

/**
 * From Atrium's sign-in page (shown at `path`) through the provider back to the app. The
 * provider asks for a login only without its own session, and for consent only the first time.
 */
export async function signInInBrowser(page: Page, login: string, path = '/'): Promise<void> {
  await page.goto(path);
  await page.getByRole('heading', { name: 'Sign in to Atrium' }).waitFor();
  await page.getByRole('link', { name: /^Sign in with OpenID Connect/ }).click();
  const menu = page.getByTestId('user-menu');
  const loginField = page.locator('input[name="login"]');
  await loginField.or(menu).first().waitFor();
  if (await loginField.isVisible()) {
    // oidc-provider's development login page: any login, any password.
    await loginField.fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
  }
  const consent = page.getByRole('button', { name: 'Continue' });
  await consent.or(menu).first().waitFor();
  if (await consent.isVisible()) await consent.click();
  await menu.waitFor();
}

/** The top bar's Sign out, then the sign-in page. */
export async function signOutInBrowser(page: Page): Promise<void> {
  await page.getByTestId('user-menu').getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Atrium' }).waitFor();
}
