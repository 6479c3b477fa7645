// What every browser scenario shares: Debian's chromium through playwright-core (both
// resolved from ui/headlamp-plugin, where npm installs them), axe-core scans, screenshots
// and waiting with a deadline.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const plugin = new URL('../../../ui/headlamp-plugin/package.json', import.meta.url);
const require = createRequire(plugin);
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const env = name => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const ARTIFACTS = env('UI_ARTIFACTS');
const BASE = env('UI_BASE_URL');

export async function open({ width = 1280, height = 900 } = {}, expected = []) {
  const browser = await chromium.launch({
    executablePath: env('UI_CHROMIUM'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const problems = [];
  page.on('pageerror', error => problems.push(`page error: ${error.message}`));
  page.on('console', message => {
    const text = message.text();
    if (message.type() === 'error' && !expected.some(pattern => pattern.test(text))) {
      problems.push(`console error: ${text}`);
    }
  });
  return { browser, page, problems };
}

export const url = (cluster, path) => `${BASE}/c/${cluster}${path}`;

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core on the page as it is: fails on any serious or critical violation. */
export async function axe(page, view) {
  // A dialog fading in has text at part opacity: scan what the user ends up seeing.
  await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== 'running'));
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
    }));
  });
  const bad = result.filter(v => v.impact === 'serious' || v.impact === 'critical');
  const other = result.filter(v => !bad.includes(v));
  console.log(`axe ${view}: ${bad.length} serious/critical, ${other.length} other` +
    (other.length ? ` (${other.map(v => `${v.id}:${v.impact}`).join(', ')})` : ''));
  if (bad.length) {
    throw new Error(`axe found serious or critical violations in ${view}:\n` +
      bad.map(v => `  ${v.impact} ${v.id}: ${v.help} at ${v.nodes.join('; ')}`).join('\n'));
  }
}

/** The document is no wider than the viewport: nothing sideways to scroll to. */
export async function fitsWidth(page, view) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  if (scroll > width) throw new Error(`${view} is ${scroll}px wide in a ${width}px window`);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export async function run(scenario) {
  const session = await open(scenario.viewport, scenario.expectedConsoleErrors);
  try {
    await scenario.steps(session.page);
    if (session.problems.length) throw new Error(session.problems.join('\n'));
  } catch (error) {
    await screenshot(session.page, `${scenario.name}-failure`).catch(() => {});
    console.error(error.stack ?? String(error));
    if (session.problems.length) console.error(session.problems.join('\n'));
    process.exitCode = 1;
  } finally {
    await session.browser.close();
  }
}
