// The browser scenarios, one per run: `node scenarios.mjs NAME`. The pytest side
// (tests/ui/test_browser.py) prepares the cluster, passes names through UI_* variables
// and checks the cluster afterwards.
import { axe, check, env, fitsWidth, run, screenshot, url } from './browser.mjs';

const ACTIONS = ['Run now', 'Suspend', 'Resume', 'Clone', 'Edit', 'Delete'];

async function listRow(page, cluster, job) {
  await page.goto(url(cluster, '/dynamicjobs'));
  const row = page.locator(`[data-job="${job}"]`);
  await row.waitFor();
  return row;
}

async function nextRunShown(row) {
  await row.locator('[data-column="next-run"] time').waitFor({ timeout: 120_000 });
  const text = await row.locator('[data-column="next-run"] time').innerText();
  check(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(text.trim()), `next run shows "${text}"`);
}

async function toolbarButtons(page) {
  await page.locator('[role="toolbar"][data-permissions="answered"]').waitFor();
  return (await page.locator('[role="toolbar"] button, [role="toolbar"] a').allTextContents()).map(t => t.trim());
}

const scenarios = {
  viewer: {
    steps: async page => {
      const job = env('UI_JOB');
      const row = await listRow(page, 'viewer', job);
      await nextRunShown(row);
      await page.locator('[data-permissions="answered"]').first().waitFor();
      check(!(await page.getByRole('button', { name: 'Create' }).count()), 'a viewer sees Create');
      await axe(page, 'list');
      await screenshot(page, 'list-viewer');
      await row.getByRole('link', { name: job }).click();
      await page.getByRole('heading', { name: `DynamicJob ${env('UI_NAMESPACE')}/${job}` }).waitFor();
      await page.getByRole('table', { name: 'Conditions' }).getByText('Ready', { exact: true }).waitFor();
      const buttons = await toolbarButtons(page);
      const forbidden = buttons.filter(label => ACTIONS.includes(label.trim()));
      check(!forbidden.length, `a viewer sees ${forbidden.join(', ')}`);
      check(buttons.map(b => b.trim()).join() === 'Export YAML', `viewer's buttons: ${buttons}`);
      check((await page.getByTestId('next-runs').locator('li').count()) === 5, 'five next runs');
      await axe(page, 'details');
      await screenshot(page, 'details-viewer');
    },
  },

  'namespace-user': {
    // Listing every namespace is refused (403) for a user bound in one namespace only.
    expectedConsoleErrors: [/status of 403 \(Forbidden\)/],
    steps: async page => {
      const [job, other] = [env('UI_JOB'), env('UI_OTHER')];
      await page.goto(url('team', '/dynamicjobs'));
      await page.getByText('You may not list DynamicJobs in every namespace').waitFor();
      await page.getByLabel('List namespace').fill(env('UI_NAMESPACE'));
      const rows = page.locator('tr[data-job]');
      await page.locator(`tr[data-job="${other}"]`).waitFor();
      check((await rows.count()) === 2, `${await rows.count()} rows, not 2`);
      const choose = async (label, option) => {
        await page.getByRole('combobox', { name: label }).click();
        await page.getByRole('option', { name: option, exact: true }).click();
      };
      await choose('Tag', 'team=a');
      await page.locator(`tr[data-job="${other}"]`).waitFor({ state: 'detached' });
      check((await rows.count()) === 1, 'the tag filter left more than one job');
      await choose('Template', 'heartbeat');
      await page.locator(`tr[data-job="${job}"]`).waitFor();
      await choose('Last result', 'Failed');
      await page.getByText('No DynamicJob matches the filters.').waitFor();
      await choose('Last result', 'None');
      await page.locator(`tr[data-job="${job}"]`).waitFor();
      await page.getByLabel('Search by name').fill('nomatch');
      await page.getByText('No DynamicJob matches the filters.').waitFor();
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
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByLabel('Name (required)').fill(name);
      await page.getByLabel('Namespace').fill(namespace);
      await page.getByRole('radio', { name: /^heartbeat/ }).check();
      await axe(page, 'create: template');
      await screenshot(page, 'create-1-template');
      await page.getByRole('button', { name: 'Next' }).click();
      // Longer than the schema's maxLength (256), which only the webhook checks.
      await page.getByLabel('Message').fill('x'.repeat(300));
      await axe(page, 'create: parameters');
      await screenshot(page, 'create-2-parameters');
      await page.getByRole('button', { name: 'Next' }).click();
      const cron = page.getByLabel('Cron schedule (required)');
      await cron.fill('61 * * * *');
      await page.getByRole('button', { name: 'Next' }).click();
      // An email notifier whose required parameters are left empty.
      const onFailure = page.getByRole('combobox', { name: 'After a failed or timed-out run' });
      await onFailure.click();
      await page.getByRole('option', { name: 'email-notification', exact: true }).click();
      await axe(page, 'create: notifications');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('The DynamicJob as YAML').waitFor();
      await axe(page, 'create: review');
      await screenshot(page, 'create-5-review');
      await page.getByRole('button', { name: 'Check (dry run)' }).click();
      // The webhook names two fields: the wizard goes back to the first one's step, the
      // parameters, with its message under the Message field.
      await page.getByText('Step 2 of 5: Parameters').waitFor();
      const messageHelp = page.locator('#dj-new-param-message-helper-text');
      await messageHelp.getByText('longer than 256 characters (300)').waitFor();
      console.log(`refused at spec.parameters.message: ${(await messageHelp.innerText()).slice(-80)}`);
      await screenshot(page, 'create-2-parameters-refused');
      await page.getByLabel('Message').fill('made in the browser');
      await page.getByRole('button', { name: 'Next' }).click();
      // The webhook's own words (not the browser's "minute: 61 is outside 0-59"), beside
      // the cron field.
      await page.getByText('Step 3 of 5: Schedule').waitFor();
      const help = page.locator('#dj-new-schedule-helper-text');
      await help.getByText('above maximum 59').waitFor();
      console.log(`refused at spec.schedule: ${await help.innerText()}`);
      await axe(page, 'create: schedule with the webhook message');
      await screenshot(page, 'create-3-schedule-refused');
      await cron.fill('*/5 * * * *');
      await page.getByTestId('approximate-next-runs').locator('li').nth(4).waitFor();
      await screenshot(page, 'create-3-schedule');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.locator('#dj-new-onFailure-param-to-helper-text').getByText('required').waitFor();
      await axe(page, 'create: notifications with the webhook messages');
      await screenshot(page, 'create-4-notifications-refused');
      await onFailure.click();
      await page.getByRole('option', { name: 'Nobody is told' }).click();
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('button', { name: 'Check (dry run)' }).click();
      await page.getByText('The cluster accepts it').waitFor();
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('heading', { name: `DynamicJob ${namespace}/${name}` }).waitFor();
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
      await page.getByRole('button', { name: 'Run now' }).click();
      const dialog = page.getByRole('dialog', { name: `Run ${job} now` });
      await dialog.getByLabel('Message').fill(env('UI_OVERRIDE'));
      await axe(page, 'run now dialog');
      await screenshot(page, 'run-now-dialog');
      await dialog.getByRole('button', { name: 'Run now' }).click();
      await dialog.waitFor({ state: 'detached' });
      const runs = page.getByRole('table', { name: 'Recent runs' });
      const manual = runs.locator('tr[data-run]', { hasText: 'Manual' });
      await manual.getByText('Succeeded').waitFor({ timeout: 240_000 });
      await manual.getByRole('button', { name: /Show the attempts/ }).click();
      await page.getByRole('table', { name: /^Attempts of run/ }).getByText('Succeeded').waitFor();
      await axe(page, 'details with a run');
      await screenshot(page, 'details-run');
    },
  },

  actions: {
    steps: async page => {
      const [job, namespace] = [env('UI_JOB'), env('UI_NAMESPACE')];
      const copy = `${job}-copy`;
      const summary = page.getByRole('table', { name: 'Summary' });
      await page.goto(url('editor', `/dynamicjobs/${namespace}/${job}`));
      await toolbarButtons(page);

      await page.getByRole('button', { name: 'Export YAML' }).click();
      const manifest = await page.getByLabel('Manifest').innerText();
      check(manifest.includes('kind: DynamicJob') && manifest.includes(`name: ${job}`), manifest);
      check(!/status:|resourceVersion|uid:|managedFields/.test(manifest), `not clean:\n${manifest}`);
      await axe(page, 'export dialog');
      await screenshot(page, 'export-dialog');
      await page.getByRole('button', { name: 'Close' }).click();

      const suspend = async reason => {
        await page.getByRole('button', { name: 'Suspend' }).click();
        const dialog = page.getByRole('dialog', { name: `Suspend ${job}` });
        check(await dialog.getByRole('button', { name: 'Suspend' }).isDisabled(), 'no reason, yet Suspend is enabled');
        await dialog.getByLabel('Reason (required)').fill(reason);
        await dialog.getByRole('button', { name: 'Suspend' }).click();
        await summary.getByText(`Yes: ${reason}`).waitFor();
      };
      await suspend('orders-db migration');
      await page.getByRole('button', { name: 'Resume' }).click();
      await page.getByRole('dialog', { name: `Resume ${job}` }).getByRole('button', { name: 'Resume' }).click();
      await summary.getByRole('cell', { name: 'No', exact: true }).waitFor();
      await suspend('database migration until Friday');
      await screenshot(page, 'details-suspended');

      await page.getByRole('button', { name: 'Clone' }).click();
      const cloneDialog = page.getByRole('dialog', { name: `Clone ${job}` });
      await cloneDialog.getByLabel('New name').fill(copy);
      await cloneDialog.getByLabel('Schedule').fill('0 4 * * *');
      await cloneDialog.getByLabel('Message').fill('the copy');
      await axe(page, 'clone dialog');
      await cloneDialog.getByRole('button', { name: 'Clone' }).click();
      await page.getByRole('heading', { name: `DynamicJob ${namespace}/${copy}` }).waitFor();
      await summary.getByText(/^At 04:00/).waitFor();
      await toolbarButtons(page);

      await page.getByRole('button', { name: 'Edit' }).click();
      const editor = page.getByLabel('Manifest (YAML)');
      const text = await editor.inputValue();
      check(text.includes('message: the copy'), `the clone's parameters are not in:\n${text}`);
      check(text.includes('schedule: 0 4 * * *'), `the schedule is not in:\n${text}`);
      await editor.fill(text.replace('schedule: 0 4 * * *', 'schedule: 0 5 * * *'));
      await axe(page, 'edit dialog');
      await page.getByRole('dialog', { name: `Edit ${copy}` }).getByRole('button', { name: 'Save' }).click();
      await summary.getByText(/^At 05:00/).waitFor();

      await page.getByRole('button', { name: 'Delete' }).click();
      const confirm = page.getByRole('dialog', { name: `Delete ${copy}` });
      await confirm.getByText(`Delete the DynamicJob ${namespace}/${copy}?`).waitFor();
      await axe(page, 'delete confirmation');
      await screenshot(page, 'delete-confirmation');
      await confirm.getByRole('button', { name: `Delete ${copy}` }).click();
      await page.getByRole('heading', { name: 'DynamicJobs' }).waitFor();
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
      await page.getByLabel('Search by name').fill(job);
      await row.getByRole('link', { name: job }).waitFor({ state: 'visible' });
      await axe(page, 'list at 390px');
      await screenshot(page, 'list-390');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByLabel('Name (required)').fill('narrow-form');
      await page.getByRole('radio', { name: /^heartbeat/ }).check();
      await fitsWidth(page, 'the form');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Message').fill('small screen');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Cron schedule (required)').fill('0 4 * * *');
      await page.getByTestId('approximate-next-runs').locator('li').nth(4).waitFor();
      await fitsWidth(page, 'the schedule step');
      await axe(page, 'form at 390px');
      await screenshot(page, 'create-390');
      await row.page().goto(url('editor', `/dynamicjobs/${env('UI_NAMESPACE')}/${job}`));
      await toolbarButtons(page);
      await fitsWidth(page, 'the details');
      await axe(page, 'details at 390px');
      await screenshot(page, 'details-390');
    },
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`no scenario ${name}: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await run({ name, ...scenarios[name] });
