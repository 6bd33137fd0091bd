/**
 * axe-core in a Chromium page, for the accessibility checks of the e2e tests. The page must be
 * in a context with `bypassCSP: true`: axe is injected as a script, which the portal's CSP
 * rightly refuses.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';

const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

const IMPACTS = ['minor', 'moderate', 'serious', 'critical'];

/**
 * axe-core findings on the current page, one line each: serious and critical ones, or from
 * `least` up (`minor`: every finding).
 */
export async function axeViolations(
  p: Page,
  least: 'minor' | 'moderate' | 'serious' = 'serious',
): Promise<string[]> {
  // Injected once per document: a page checked again after a hover or a menu keeps its axe.
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: AXE });
  const found = await p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<unknown> } }).axe;
    const result = (await axe.run()) as {
      violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }>;
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)),
    }));
  });
  return found
    .filter((v) => IMPACTS.indexOf(v.impact) >= IMPACTS.indexOf(least))
    .map((v) => `${v.impact} ${v.id}: ${v.targets.join(' ')}`);
}
