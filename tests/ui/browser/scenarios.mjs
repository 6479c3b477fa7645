// The browser scenarios, one per run: `node scenarios.mjs NAME`. The pytest side
// (tests/ui/test_browser.py) prepares the cluster, passes names through UI_* variables
// and checks the cluster afterwards. The pages are Headlamp's frontend with the plugin
// loaded by Headlamp's loader; `main(page)` is Headlamp's <main>, where its RouteSwitcher
// renders the plugin's routes (Headlamp's sidebar has a Create button of its own).
import { readFile } from 'node:fs/promises';
import { axe, check, env, fitsWidth, home, run, screenshot, url } from './browser.mjs';

const main = page => page.getByRole('main');

const ACTIONS = ['Run now', 'Suspend', 'Resume', 'Clone', 'Edit', 'Delete'];

async function listRow(page, cluster, job) {
  await page.goto(url(cluster, '/dynamicjobs'));
  const row = main(page).locator(`[data-job="${job}"]`);
  await row.waitFor();
  return row;
}

/** Click a sidebar entry until the page is at `where`: right after a cluster switch the
 * sidebar re-renders, and a click on the entry it is replacing goes nowhere (seen once in
 * four runs: the URL never changed). Three tries of 20 s. */
async function openFromSidebar(page, name, where) {
  const navigation = page.getByRole('navigation');
  const entry = navigation.getByRole('button', { name }).or(navigation.getByRole('link', { name })).first();
  for (let attempt = 1; ; attempt++) {
    await entry.click();
    try {
      await page.waitForURL(where, { timeout: 20_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function nextRunShown(row) {
  await row.locator('[data-column="next-run"] time').waitFor({ timeout: 120_000 });
  const text = await row.locator('[data-column="next-run"] time').innerText();
  check(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(text.trim()), `next run shows "${text}"`);
}

async function toolbarButtons(page) {
  await main(page).locator('[role="toolbar"][data-permissions="answered"]').waitFor();
  return (await main(page).locator('[role="toolbar"] button, [role="toolbar"] a').allTextContents()).map(t => t.trim());
}

const scenarios = {
  viewer: {
    steps: async page => {
      const [job, other, namespace] = [env('UI_JOB'), env('UI_OTHER'), env('UI_NAMESPACE')];
      // Headlamp's home lists the clusters of the backend's /config; the sidebar entry is
      // the one the plugin registered, which leads to its route.
      await page.goto(home());
      await page.getByRole('link', { name: 'viewer', exact: true }).first().click();
      await openFromSidebar(page, 'DynamicJobs', /\/c\/viewer\/dynamicjobs$/);
      const row = main(page).locator(`[data-job="${job}"]`);
      await nextRunShown(row);
      await main(page).locator('[data-permissions="answered"]').first().waitFor();
      check(!(await main(page).getByRole('button', { name: 'Create' }).count()), 'a viewer sees Create');
      await axe(page, 'list');
      await screenshot(page, 'list-viewer');
      // The namespace filter: the other namespace's job goes, this one's stays.
      await main(page).locator(`[data-job="${other}"]`).waitFor();
      await main(page).getByRole('combobox', { name: 'Namespace' }).click();
      await page.getByRole('option', { name: namespace, exact: true }).click();
      await main(page).locator(`[data-job="${other}"]`).waitFor({ state: 'detached' });
      await row.waitFor();
      const shown = await main(page).locator('tr[data-job] td:nth-child(2)').allInnerTexts();
      check(shown.length && shown.every(n => n.replace(/\s/g, '') === namespace),
        `namespace filter ${namespace} shows ${shown}`);
      await axe(page, 'list, one namespace');
      await screenshot(page, 'list-namespace');
      await row.getByRole('link', { name: job }).click();
      await main(page).getByRole('heading', { name: `DynamicJob ${namespace}/${job}` }).waitFor();
      await main(page).getByRole('table', { name: 'Conditions' }).getByText('Ready', { exact: true }).waitFor();
      await main(page).getByLabel('Outputs schema (JSON)').getByText('"beat"', { exact: false }).waitFor();
      const buttons = await toolbarButtons(page);
      const forbidden = buttons.filter(label => ACTIONS.includes(label.trim()));
      check(!forbidden.length, `a viewer sees ${forbidden.join(', ')}`);
      check(buttons.map(b => b.trim()).join() === 'Export YAML', `viewer's buttons: ${buttons}`);
      check((await main(page).getByTestId('next-runs').locator('li').count()) === 5, 'five next runs');
      await axe(page, 'details');
      await screenshot(page, 'details-viewer');
      // Headlamp's cluster chooser (one cluster per user here): as `editor`, the plugin's
      // list offers Create.
      await page.getByRole('banner').getByRole('button', { name: /viewer/ }).click();
      await page.getByRole('option', { name: /editor/ }).click();
      await page.waitForURL(/\/c\/editor\/?$/);
      await openFromSidebar(page, 'DynamicJobs', /\/c\/editor\/dynamicjobs$/);
      await main(page).getByRole('button', { name: 'Create' }).waitFor();
      await main(page).locator(`[data-job="${job}"]`).waitFor();
    },
  },

  'namespace-user': {
    // Listing every namespace is refused (403) for a user bound in one namespace only.
    expectedConsoleErrors: [/status of 403 \(Forbidden\)/],
    steps: async page => {
      const [job, other] = [env('UI_JOB'), env('UI_OTHER')];
      await page.goto(url('team', '/dynamicjobs'));
      const plugin = main(page);
      await plugin.getByText('You may not list DynamicJobs in every namespace').waitFor();
      await plugin.getByLabel('List namespace').fill(env('UI_NAMESPACE'));
      const rows = plugin.locator('tr[data-job]');
      await plugin.locator(`tr[data-job="${other}"]`).waitFor();
      check((await rows.count()) === 2, `${await rows.count()} rows, not 2`);
      const choose = async (label, option) => {
        await plugin.getByRole('combobox', { name: label }).click();
        await page.getByRole('option', { name: option, exact: true }).click();
      };
      await choose('Tag', 'team=a');
      await plugin.locator(`tr[data-job="${other}"]`).waitFor({ state: 'detached' });
      check((await rows.count()) === 1, 'the tag filter left more than one job');
      await choose('Template', 'heartbeat');
      await plugin.locator(`tr[data-job="${job}"]`).waitFor();
      await choose('Last result', 'Failed');
      await plugin.getByText('No DynamicJob matches the filters.').waitFor();
      await choose('Last result', 'None');
      await plugin.locator(`tr[data-job="${job}"]`).waitFor();
      await plugin.getByLabel('Search by name').fill('nomatch');
      await plugin.getByText('No DynamicJob matches the filters.').waitFor();
      await axe(page, 'list, filtered');
      await screenshot(page, 'list-filtered');
    },
  },

  'create-refused-then-created': {
    // The browser logs the webhook's refusal of the first dry run; nothing else may fail.
    expectedConsoleErrors: [/status of 422 \(Unprocessable Entity\)/],
    steps: async page => {
      const [name, namespace] = [env('UI_NEW_JOB'), env('UI_NAMESPACE')];
      await page.goto(url('editor', '/dynamicjobs'));
      await main(page).getByRole('button', { name: 'Create' }).click();
      await main(page).getByLabel('Name (required)').fill(name);
      await main(page).getByLabel('Namespace').fill(namespace);
      await main(page).getByRole('radio', { name: /^heartbeat/ }).check();
      await axe(page, 'create: template');
      await screenshot(page, 'create-1-template');
      await main(page).getByRole('button', { name: 'Next' }).click();
      // Longer than the schema's maxLength (256), which only the webhook checks.
      await main(page).getByLabel('Message').fill('x'.repeat(300));
      await axe(page, 'create: parameters');
      await screenshot(page, 'create-2-parameters');
      await main(page).getByRole('button', { name: 'Next' }).click();
      const cron = main(page).getByLabel('Cron schedule (required)');
      await cron.fill('61 * * * *');
      await main(page).getByRole('button', { name: 'Next' }).click();
      // An email notifier whose required parameters are left empty.
      const onFailure = main(page).getByRole('combobox', { name: 'After a failed or timed-out run' });
      await onFailure.click();
      await page.getByRole('option', { name: 'email-notification', exact: true }).click();
      await axe(page, 'create: notifications');
      await main(page).getByRole('button', { name: 'Next' }).click();
      await main(page).getByLabel('The DynamicJob as YAML').waitFor();
      await axe(page, 'create: review');
      await screenshot(page, 'create-5-review');
      await main(page).getByRole('button', { name: 'Check (dry run)' }).click();
      // The webhook names two fields: the wizard goes back to the first one's step, the
      // parameters, with its message under the Message field.
      await main(page).getByText('Step 2 of 5: Parameters').waitFor();
      const messageHelp = main(page).locator('#dj-new-param-message-helper-text');
      await messageHelp.getByText('longer than 256 characters (300)').waitFor();
      console.log(`refused at spec.parameters.message: ${(await messageHelp.innerText()).slice(-80)}`);
      await screenshot(page, 'create-2-parameters-refused');
      await main(page).getByLabel('Message').fill('made in the browser');
      await main(page).getByRole('button', { name: 'Next' }).click();
      // The webhook's own words (not the browser's "minute: 61 is outside 0-59"), beside
      // the cron field.
      await main(page).getByText('Step 3 of 5: Schedule').waitFor();
      const help = main(page).locator('#dj-new-schedule-helper-text');
      await help.getByText('above maximum 59').waitFor();
      console.log(`refused at spec.schedule: ${await help.innerText()}`);
      await axe(page, 'create: schedule with the webhook message');
      await screenshot(page, 'create-3-schedule-refused');
      // A preset fills the cron field; a time zone changes the schedule in words.
      await main(page).getByRole('combobox', { name: 'Preset' }).click();
      await page.getByRole('option', { name: 'Weekdays at 02:00 (0 2 * * 1-5)' }).click();
      check((await cron.inputValue()) === '0 2 * * 1-5', `the preset wrote "${await cron.inputValue()}"`);
      await main(page).getByText(/\(UTC\)$/).waitFor();
      const zone = main(page).getByLabel('Time zone');
      check((await zone.getAttribute('list')) === 'dj-time-zones', 'the time zone field offers no list');
      check(await page.locator('#dj-time-zones option[value="Europe/Berlin"]').count() === 1,
        'Europe/Berlin is not among the offered time zones');
      await zone.fill('Europe/Berlin');
      await main(page).getByText(/02:00.*\(Europe\/Berlin\)$/).waitFor();
      await main(page).getByTestId('approximate-next-runs').locator('li').nth(4).waitFor();
      await axe(page, 'create: schedule with a preset and a time zone');
      await screenshot(page, 'create-3-schedule');
      await main(page).getByRole('button', { name: 'Next' }).click();
      await main(page).locator('#dj-new-onFailure-param-to-helper-text').getByText('required').waitFor();
      await axe(page, 'create: notifications with the webhook messages');
      await screenshot(page, 'create-4-notifications-refused');
      await onFailure.click();
      await page.getByRole('option', { name: 'Nobody is told' }).click();
      await main(page).getByRole('button', { name: 'Next' }).click();
      await main(page).getByRole('button', { name: 'Check (dry run)' }).click();
      await main(page).getByText('The cluster accepts it').waitFor();
      await main(page).getByRole('button', { name: 'Create', exact: true }).click();
      await main(page).getByRole('heading', { name: `DynamicJob ${namespace}/${name}` }).waitFor();
      const row = await listRow(page, 'editor', name);
      await nextRunShown(row);
      await screenshot(page, 'list-after-create');
    },
  },

  'run-now': {
    steps: async page => {
      const job = env('UI_JOB');
      await page.goto(url('editor', `/dynamicjobs/${env('UI_NAMESPACE')}/${job}`));
      const buttons = await toolbarButtons(page);
      for (const action of ['Run now', 'Suspend', 'Clone', 'Edit', 'Delete']) {
        check(buttons.includes(action), `an editor lacks ${action} (has ${buttons})`);
      }
      await main(page).getByRole('button', { name: 'Run now' }).click();
      const dialog = page.getByRole('dialog', { name: `Run ${job} now` });
      await dialog.getByLabel('Message').fill(env('UI_OVERRIDE'));
      await axe(page, 'run now dialog');
      await screenshot(page, 'run-now-dialog');
      await dialog.getByRole('button', { name: 'Run now' }).click();
      await dialog.waitFor({ state: 'detached' });
      const runs = main(page).getByRole('table', { name: 'Recent runs' });
      const manual = runs.locator('tr[data-run]', { hasText: 'Manual' });
      await manual.getByText('Succeeded').waitFor({ timeout: 240_000 });
      await manual.getByRole('button', { name: /Show the attempts/ }).click();
      await main(page).getByRole('table', { name: /^Attempts of run/ }).getByText('Succeeded').waitFor();
      await axe(page, 'details with a run');
      await screenshot(page, 'details-run');
    },
  },

  actions: {
    steps: async page => {
      const [job, namespace] = [env('UI_JOB'), env('UI_NAMESPACE')];
      const copy = `${job}-copy`;
      const summary = main(page).getByRole('table', { name: 'Summary' });
      await page.goto(url('editor', `/dynamicjobs/${namespace}/${job}`));
      await toolbarButtons(page);

      await main(page).getByRole('button', { name: 'Export YAML' }).click();
      const manifest = await page.getByRole('dialog').getByLabel('Manifest').innerText();
      check(manifest.includes('kind: DynamicJob') && manifest.includes(`name: ${job}`), manifest);
      check(!/status:|resourceVersion|uid:|managedFields/.test(manifest), `not clean:\n${manifest}`);
      await axe(page, 'export dialog');
      await screenshot(page, 'export-dialog');
      // Download saves the same clean manifest as <name>.yaml.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('dialog').getByRole('link', { name: 'Download' })
          .or(page.getByRole('dialog').getByRole('button', { name: 'Download' })).click(),
      ]);
      check(download.suggestedFilename() === `${job}.yaml`, `downloaded ${download.suggestedFilename()}`);
      const saved = await readFile(await download.path(), 'utf8');
      check(saved.trim() === manifest.trim(), `the download is not the manifest shown:\n${saved}`);
      console.log(`downloaded ${download.suggestedFilename()}: ${saved.length} bytes, as shown`);
      await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

      const suspend = async reason => {
        await main(page).getByRole('button', { name: 'Suspend' }).click();
        const dialog = page.getByRole('dialog', { name: `Suspend ${job}` });
        check(await dialog.getByRole('button', { name: 'Suspend' }).isDisabled(), 'no reason, yet Suspend is enabled');
        await dialog.getByLabel('Reason (required)').fill(reason);
        await dialog.getByRole('button', { name: 'Suspend' }).click();
        await summary.getByText(`Yes: ${reason}`).waitFor();
      };
      await suspend('orders-db migration');
      await main(page).getByRole('button', { name: 'Resume' }).click();
      await page.getByRole('dialog', { name: `Resume ${job}` }).getByRole('button', { name: 'Resume' }).click();
      await summary.getByRole('cell', { name: 'No', exact: true }).waitFor();
      await suspend('database migration until Friday');
      await screenshot(page, 'details-suspended');

      await main(page).getByRole('button', { name: 'Clone' }).click();
      const cloneDialog = page.getByRole('dialog', { name: `Clone ${job}` });
      await cloneDialog.getByLabel('New name').fill(copy);
      await cloneDialog.getByLabel('Schedule').fill('0 4 * * *');
      await cloneDialog.getByLabel('Message').fill('the copy');
      await axe(page, 'clone dialog');
      await cloneDialog.getByRole('button', { name: 'Clone' }).click();
      await main(page).getByRole('heading', { name: `DynamicJob ${namespace}/${copy}` }).waitFor();
      await summary.getByText(/^At 04:00/).waitFor();
      await toolbarButtons(page);

      await main(page).getByRole('button', { name: 'Edit' }).click();
      const editor = page.getByRole('dialog').getByLabel('Manifest (YAML)');
      const text = await editor.inputValue();
      check(text.includes('message: the copy'), `the clone's parameters are not in:\n${text}`);
      check(text.includes('schedule: 0 4 * * *'), `the schedule is not in:\n${text}`);
      await editor.fill(text.replace('schedule: 0 4 * * *', 'schedule: 0 5 * * *'));
      await axe(page, 'edit dialog');
      await page.getByRole('dialog', { name: `Edit ${copy}` }).getByRole('button', { name: 'Save' }).click();
      await summary.getByText(/^At 05:00/).waitFor();

      await main(page).getByRole('button', { name: 'Delete' }).click();
      const confirm = page.getByRole('dialog', { name: `Delete ${copy}` });
      await confirm.getByText(`Delete the DynamicJob ${namespace}/${copy}?`).waitFor();
      await axe(page, 'delete confirmation');
      await screenshot(page, 'delete-confirmation');
      await confirm.getByRole('button', { name: `Delete ${copy}` }).click();
      await main(page).getByRole('heading', { name: 'DynamicJobs' }).waitFor();
    },
  },

  narrow: {
    viewport: { width: 390, height: 844 },
    steps: async page => {
      const job = env('UI_JOB');
      const row = await listRow(page, 'editor', job);
      check((await row.evaluate(e => e.tagName)) === 'LI', 'no card list at 390px');
      await nextRunShown(row);
      await fitsWidth(page, 'the list');
      await main(page).getByLabel('Search by name').fill(job);
      await row.getByRole('link', { name: job }).waitFor({ state: 'visible' });
      await axe(page, 'list at 390px');
      await screenshot(page, 'list-390');
      await main(page).getByRole('button', { name: 'Create' }).click();
      await main(page).getByLabel('Name (required)').fill('narrow-form');
      await main(page).getByRole('radio', { name: /^heartbeat/ }).check();
      await fitsWidth(page, 'the form');
      await main(page).getByRole('button', { name: 'Next' }).click();
      await main(page).getByLabel('Message').fill('small screen');
      await main(page).getByRole('button', { name: 'Next' }).click();
      await main(page).getByLabel('Cron schedule (required)').fill('0 4 * * *');
      await main(page).getByTestId('approximate-next-runs').locator('li').nth(4).waitFor();
      await fitsWidth(page, 'the schedule step');
      await axe(page, 'form at 390px');
      await screenshot(page, 'create-390');
      await page.goto(url('editor', `/dynamicjobs/${env('UI_NAMESPACE')}/${job}`));
      await toolbarButtons(page);
      await fitsWidth(page, 'the details');
      await axe(page, 'details at 390px');
      await screenshot(page, 'details-390');
      // Back to the list through Headlamp's sidebar, a drawer at this width.
      await page.getByRole('button', { name: 'Show navigation' }).click();
      await page.getByRole('button', { name: 'DynamicJobs', exact: true })
        .or(page.getByRole('link', { name: 'DynamicJobs', exact: true })).first().click();
      await page.waitForURL(/\/c\/editor\/dynamicjobs$/);
      await main(page).locator(`[data-job="${job}"]`).waitFor();
      await fitsWidth(page, 'the list after the sidebar');
    },
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`no scenario ${name}: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await run({ name, ...scenarios[name] });
