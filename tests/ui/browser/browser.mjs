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

/**
 * Headlamp's sidebar and buttons draw Iconify icons by name ('mdi:...'), which
 * @iconify/react fetches from the Iconify API (api.iconify.design). This machine has no
 * internet, so the test answers those requests from the same icons in npm's
 * @iconify/icons-mdi (a dependency of @kinvolk/headlamp-plugin), in the API's format.
 */
function iconifyApi(route) {
  const url = new URL(route.request().url());
  const prefix = url.pathname.replace(/^\//, '').replace(/\.json$/, '');
  const icons = {};
  for (const name of (url.searchParams.get('icons') ?? '').split(',').filter(Boolean)) {
    if (prefix !== 'mdi' || !/^[a-z0-9-]+$/.test(name)) continue;
    try {
      icons[name] = require(`@iconify/icons-mdi/${name}.js`).default;
    } catch {
      // not an mdi icon: left out, as the API leaves out what it does not have
    }
  }
  const missing = Object.keys(icons).length ? undefined : url.searchParams.get('icons')?.split(',');
  return route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify({ prefix, icons, ...(missing ? { not_found: missing } : {}) }),
  });
}

export async function open({ width = 1280, height = 900 } = {}, expected = []) {
  const browser = await chromium.launch({
    executablePath: env('UI_CHROMIUM'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await context.route(/^https:\/\/api\.(iconify\.design|simplesvg\.com|unisvg\.com)\//, iconifyApi);
  const problems = [];
  // Which request a "Failed to load resource" console error was about.
  page.on('response', response => {
    const html = /text\/html/.test(response.headers()['content-type'] ?? '');
    const fetched = ['fetch', 'xhr'].includes(response.request().resourceType());
    if (response.status() >= 400 || (html && fetched)) {
      console.log(`HTTP ${response.status()} ${response.request().method()} ${response.url()}${html ? ' (html)' : ''}`);
    }
  });
  page.on('requestfailed', request => console.log(`failed ${request.url()}: ${request.failure()?.errorText}`));
  page.on('pageerror', error => problems.push(`page error: ${error.message}`));
  page.on('console', message => {
    const text = `${message.text()} (${message.location().url})`;
    if (message.type() === 'error' && !expected.some(pattern => pattern.test(text))) {
      problems.push(`console error: ${text}`);
    }
  });
  return { browser, page, problems };
}

export const url = (cluster, path) => `${BASE}/c/${cluster}${path}`;
export const home = () => `${BASE}/`;

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * What Headlamp's own chrome (not the plugin) asks for and logs as errors here, accepted in
 * every scenario: requests its sidebar, home page and notifications make that a user without
 * cluster-wide rights is refused (the CRDs for "Custom Resources", nodes and their metrics,
 * every cluster's warning events), and the watches it opens over WebSockets, which the
 * backend stand-in does not serve (tests/ui/dashboard.py; the plugin polls and needs none).
 */
export const HEADLAMP_CHROME_ERRORS = [
  /status of 403 \(Forbidden\) \(\S+\/clusters\/\w+\/apis\/apiextensions\.k8s\.io\/v1(beta1)?\/customresourcedefinitions\)/,
  /status of 403 \(Forbidden\) \(\S+\/clusters\/\w+\/(api\/v1|apis\/metrics\.k8s\.io\/v1beta1)\/nodes\)/,
  /status of 403 \(Forbidden\) \(\S+\/clusters\/\w+\/api\/v1\/events\?limit=2000&fieldSelector=type%21%3DNormal\)/,
  /^WebSocket error: Event /,
  /^WebSocket connection to 'ws:\/\/\S+&watch=1\S*' failed/,
];

/** What axe scans: the plugin's region (Headlamp's <main>, where its RouteSwitcher renders
 * the plugin's routes) and whatever the plugin has open in a portal (dialogs, menus). */
const PLUGIN_REGION = ['main', '.MuiDialog-root', '.MuiPopover-root'];

async function axeRun(page, include) {
  return page.evaluate(async include => {
    const context = include
      ? { include: include.filter(s => document.querySelector(s)).map(s => [s]) }
      : document;
    // eslint-disable-next-line no-undef
    const r = await axe.run(context, { resultTypes: ['violations'] });
    return r.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
    }));
  }, include);
}

/** axe-core on the plugin's region as it is: fails on any serious or critical violation.
 * Headlamp's own chrome (sidebar, top bar), which the plugin cannot change, is scanned too
 * and its violations printed, not failed on. */
export async function axe(page, view) {
  // A dialog fading in has text at part opacity: scan what the user ends up seeing.
  await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== 'running'));
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const result = await axeRun(page, PLUGIN_REGION);
  const bad = result.filter(v => v.impact === 'serious' || v.impact === 'critical');
  const other = result.filter(v => !bad.includes(v));
  console.log(`axe ${view}: ${bad.length} serious/critical, ${other.length} other` +
    (other.length ? ` (${other.map(v => `${v.id}:${v.impact}`).join(', ')})` : ''));
  const whole = await axeRun(page, null);
  const chrome = whole.filter(v => !result.some(r => r.id === v.id && r.nodes.join() === v.nodes.join()));
  console.log(`axe ${view}, the whole page with Headlamp's chrome: ${chrome.length} more` +
    (chrome.length ? `: ${chrome.map(v => `${v.impact} ${v.id} at ${v.nodes.join('; ')}`).join(' | ')}` : ''));
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
  const session = await open(scenario.viewport, [
    ...HEADLAMP_CHROME_ERRORS,
    ...(scenario.expectedConsoleErrors ?? []),
  ]);
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
