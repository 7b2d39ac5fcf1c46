// Browser test of the Plugins panel against the demo built with the
// `full` feature (scripts/test.sh builds it so): a package with a
// required field and a regex and a range rule is packed by the real
// `switchboard plugins pack`, uploaded in the panel, refused field by field
// (by the page's own check, then by the host's), installed, seen running
// with its log line, listed with its info.yml details, reconfigured (the
// running plugin logs the new settings),
// disabled (it stops), enabled (it runs again), upgraded by uploading a
// newer version, and removed.
//
//   node --test web_root/tests/plugins.test.mjs
//
// Needs what e2e.test.mjs needs (the demo binary DEMO_BIN, Debian's Chromium
// CHROMIUM_BIN, playwright-core) and the `switchboard` binary
// (SWITCHBOARD_BIN, default target/debug/switchboard, built by
// `cargo test --all-features`). Loopback only, every wait bounded.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openBrowser, stopChild } from './browser.mjs';

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(WEB_ROOT, '..');
const DEMO_BIN = process.env.DEMO_BIN || join(REPO, 'target/debug/examples/ipc_agent');
const SWITCHBOARD_BIN = process.env.SWITCHBOARD_BIN || join(REPO, 'target/debug/switchboard');
const SCREENSHOT = join(REPO, 'target/artifacts/plugins.png');
const WAIT = 15_000;

const PACKAGE = 'com.example.panel-probe';
const SECRET = 'hunter2-hunter2';

const infoYml = (version) => `version: "${version}"
name: Panel probe
package: ${PACKAGE}
abstract: A plugin the Plugins panel test installs
description: >
  Registers, logs its settings (secrets left out) and answers pings.
repository: https://example.com/panel-probe.git
website: https://example.com/panel-probe
email: probe@example.com
license: ISC
authors:
  - Jane Tester <jane@example.com>
id: panel-probe
`;

const CONFIG_YML = `config:
  broker: {type: string, required: true, regex: "mqtt://[a-z.]+(:[0-9]+)?", title: Broker}
  interval: {type: integer, minimum: 1000, maximum: 5000, default: 2000, unit: milliseconds}
  token: {type: string, secret: true, min_length: 8}
device_types: {}
`;

/** A Python plugin on the repository's SDK: it registers, says so and logs each new configuration on stderr (plugins/logs). */
function pluginScript() {
  return `#!/usr/bin/env -S python3 -B
import sys
sys.path.insert(0, ${JSON.stringify(join(REPO, 'clients/python'))})
from switchboard_plugin import Plugin
plugin = Plugin()


@plugin.on("configuration")
def configured(event):
    c = event["configuration"]
    # The secret itself is never written out: only whether it arrived.
    token = "set" if c.get("token") else "unset"
    plugin.log(f"configured broker={c.get('broker')} interval={c.get('interval')} token={token}")


plugin.log("panel probe up")
plugin.run()
`;
}

/** Writes the package folder and packs it with the real CLI; returns the .lamp path. */
function packProbe(scratch, version) {
  const dir = join(scratch, `probe-${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'info.yml'), infoYml(version));
  writeFileSync(join(dir, 'config.yml'), CONFIG_YML);
  writeFileSync(join(dir, 'plugin'), pluginScript());
  chmodSync(join(dir, 'plugin'), 0o755);
  const lamp = join(scratch, `panel-probe-${version}.lamp`);
  execFileSync(SWITCHBOARD_BIN, ['plugins', 'pack', dir, '-o', lamp], { stdio: 'pipe', timeout: 30_000 });
  return lamp;
}

/** Starts the demo on a free port with a plugins folder; resolves with its process and editor URL. */
async function startDemo(plugins, registry) {
  const args = ['--port', '0', '--web-root', join(WEB_ROOT, 'public'), '--registry', registry, '--no-plugins', '--packages-dir', plugins];
  const child = spawn(DEMO_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const match = output.match(/editor:\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
    if (match) return { child, url: match[1], output: () => output };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the demo printed no editor URL:\n${output}`);
}

/** Waits until the card's plugin runs; on a timeout the error says what the panel and the demo said. */
async function waitRunning(page, card, demo) {
  const status = `${card} [data-role="status"]`;
  try {
    await page.waitForSelector(`${status}[data-state="running"]`, { timeout: 30_000 });
  } catch (e) {
    const shown = await page.textContent(status).catch(() => '(no card)');
    throw new Error(`the plugin did not reach running; the panel says ${JSON.stringify(shown)}; the demo said:\n${demo.output().slice(-4000)}`, { cause: e });
  }
}

describe('plugins panel', () => {
  let demo;
  let context;
  let page;
  let scratch;
  let plugins;
  let lamp;
  let upgrade;
  const pageErrors = [];

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'switchboard-plugins-panel-'));
    plugins = join(scratch, 'plugins');
    mkdirSync(plugins);
    lamp = packProbe(scratch, '1.2.0');
    upgrade = packProbe(scratch, '1.3.0');
    demo = await startDemo(plugins, join(scratch, 'registry.sqlite'));
    ({ context, page } = await openBrowser(join(scratch, 'profile'), { height: 1400, wait: WAIT }));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`console: ${m.text()}`));
    await page.goto(demo.url, { timeout: WAIT });
  });

  after(async () => {
    await context?.close();
    await stopChild(demo?.child);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('installs an uploaded package through its form and manages it', { timeout: 120_000 }, async () => {
    await page.waitForSelector('#plugins-panel[data-available="true"]');
    assert.equal(await page.textContent('#plugins-total'), '0');

    // Upload: the host reads the package and the panel shows its form.
    await page.setInputFiles('#plugins-file', lamp);
    const pending = `#plugins-pending article[data-package="${PACKAGE}"]`;
    await page.waitForSelector(pending);
    assert.match(await page.textContent(`${pending} header`), /Panel probe\s*1\.2\.0/);
    assert.equal(await page.getAttribute(`${pending} [data-field="token"]`, 'type'), 'password');
    const field = (name) => `${pending} [data-field="${name}"]`;
    const error = (name) => `${pending} [data-error-for="${name}"]`;
    const install = `${pending} button[data-action="install"]`;

    // The page's own checks: a missing required field, a value out of range.
    await page.fill(field('interval'), '999');
    await page.click(install);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('rule: range'), error('interval'));
    assert.match(await page.textContent(error('interval')), /^interval: 999 is below the minimum 1000/);
    assert.match(await page.textContent(error('broker')), /^broker: is required/);

    // The host's check: the regex, which the page leaves to it.
    await page.fill(field('interval'), '1500');
    await page.fill(field('broker'), 'http://broker.local');
    await page.fill(field('token'), SECRET);
    await page.click(install);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('rule: regex'), error('broker'));
    assert.match(await page.textContent(error('broker')), /^broker: /);
    assert.equal(await page.textContent(error('interval')), '');
    assert.match(await page.textContent(`${pending} [data-role="result"]`), /invalid_configuration/);
    // Nothing installed by the refusals.
    assert.equal(existsSync(join(plugins, PACKAGE)), false);

    // Fixed: installed, listed, enabled.
    await page.fill(field('broker'), 'mqtt://broker.local:1883');
    await page.click(install);
    await page.waitForFunction(() => /^installed com\.example\.panel-probe 1\.2\.0, enabled$/.test(document.querySelector('#plugins-result').textContent));
    assert.equal(await page.$(pending), null);
    const card = `#plugins-list article[data-package="${PACKAGE}"]`;
    await page.waitForSelector(`${card}[data-enabled="true"]`);
    assert.equal(await page.textContent('#plugins-total'), '1');
    assert.equal(await page.textContent(`${card} [data-role="enabled"]`), 'enabled');
    assert.equal(await page.textContent(`${card} [data-info="authors"]`), 'Jane Tester <jane@example.com>');
    assert.equal(await page.textContent(`${card} [data-info="license"]`), 'ISC');
    assert.equal(await page.getAttribute(`${card} [data-info="website"] a`, 'href'), 'https://example.com/panel-probe');
    assert.match(await page.textContent(`${card} .abstract`), /the Plugins panel test installs/);
    assert.match(await page.textContent(`${card} .plugin-description .description`), /^Registers, logs its settings/);
    assert.ok(existsSync(join(plugins, PACKAGE, 'plugin')), 'the package folder was not made');
    // The stored settings come back, the secret does not.
    assert.equal(await page.inputValue(`${card} [data-field="broker"]`), 'mqtt://broker.local:1883');
    assert.equal(await page.inputValue(`${card} [data-field="interval"]`), '1500');
    assert.equal(await page.inputValue(`${card} [data-field="token"]`), '');
    assert.match(await page.getAttribute(`${card} [data-field="token"]`, 'placeholder'), /^set/);
    const listed = await page.evaluate(() => window.switchboard.request('plugins/list', {}));
    assert.ok(!JSON.stringify(listed).includes(SECRET), 'the secret reached the page');
    assert.ok(!(await page.content()).includes(SECRET), 'the secret is on the page');

    // Installed and enabled, it runs: its plugin registers (plugins/status)
    // and its first line reaches the panel (plugins/logs).
    const status = `${card} [data-role="status"]`;
    await waitRunning(page, card, demo);
    assert.match(await page.textContent(status), /^running · restarts 0 · pid \d+/);
    // plugins/status speaks on changes only; the shown uptime moves on anyway.
    await page.waitForFunction((sel) => / · up [1-9]\d* s$/.test(document.querySelector(sel)?.textContent ?? ''), status);
    await page.waitForFunction(
      (sel) => [...document.querySelectorAll(sel)].some((li) => li.textContent === 'panel probe up'),
      `${card} [data-role="log"] li`,
      { timeout: 30_000 },
    );

    // Reconfigure: refused by the host (regex), then saved; the secret is kept without typing it again.
    await page.fill(`${card} [data-field="broker"]`, 'broker.local');
    await page.click(`${card} button[data-action="configure"]`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('rule: regex'), `${card} [data-error-for="broker"]`);
    await page.fill(`${card} [data-field="broker"]`, 'mqtt://other.local');
    await page.fill(`${card} [data-field="interval"]`, '3000');
    await page.click(`${card} button[data-action="configure"]`);
    await page.waitForFunction(() => document.querySelector('#plugins-result').textContent === `settings of com.example.panel-probe saved`);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.value === '3000' && document.querySelector(sel.replace('interval', 'broker'))?.value === 'mqtt://other.local',
      `${card} [data-field="interval"]`,
    );
    // The running plugin got the new settings, the secret among them (its log line says so, without it).
    await page.waitForFunction(
      (sel) =>
        [...document.querySelectorAll(sel)].some((li) => li.textContent === 'configured broker=mqtt://other.local interval=3000 token=set'),
      `${card} [data-role="log"] li`,
      { timeout: 30_000 },
    );
    const stored = (await page.evaluate(() => window.switchboard.request('plugins/list', {}))).packages[0];
    assert.deepEqual(stored.configuration, { broker: 'mqtt://other.local', interval: 3000 });
    assert.deepEqual(stored.secrets_set, ['token']);

    // Disable: it stops. Enable: it runs again.
    await page.click(`${card} button[data-action="disable"]`);
    await page.waitForSelector(`${card}[data-enabled="false"]`);
    assert.equal(await page.textContent(`${card} [data-role="enabled"]`), 'disabled');
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state !== 'running', status, { timeout: 30_000 });
    await page.click(`${card} button[data-action="enable"]`);
    await page.waitForSelector(`${card}[data-enabled="true"]`);
    await waitRunning(page, card, demo);

    // A newer version of it uploaded: an upgrade that keeps the settings.
    await page.setInputFiles('#plugins-file', upgrade);
    await page.waitForSelector(`${pending} button[data-action="install"]`);
    assert.equal(await page.textContent(install), 'Upgrade from 1.2.0');
    assert.equal(await page.inputValue(field('interval')), '3000');
    assert.equal(await page.inputValue(field('token')), '');
    await page.click(install);
    await page.waitForFunction(() =>
      /^upgraded com\.example\.panel-probe from 1\.2\.0 to 1\.3\.0, enabled$/.test(document.querySelector('#plugins-result').textContent),
    );
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1.3.0', `${card} [data-role="version"]`);
    const upgraded = (await page.evaluate(() => window.switchboard.request('plugins/list', {}))).packages[0];
    assert.equal(upgraded.version, '1.3.0');
    assert.deepEqual(upgraded.configuration, { broker: 'mqtt://other.local', interval: 3000 });
    assert.deepEqual(upgraded.secrets_set, ['token']);
    // The host started the new version before it answered.
    await waitRunning(page, card, demo);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.locator('#plugins-panel').screenshot({ path: SCREENSHOT });

    // Remove takes a second click; then the card and the folder are gone.
    await page.click(`${card} button[data-action="remove"]`);
    assert.ok(existsSync(join(plugins, PACKAGE)), 'one click removed it');
    await page.click(`${card} button[data-action="remove"]`);
    await page.waitForFunction(() => document.querySelector('#plugins-total').textContent === '0');
    assert.equal(await page.$(card), null);
    assert.equal(existsSync(join(plugins, PACKAGE)), false);
  });

  it('refuses a file that is not a package and says why', { timeout: 60_000 }, async () => {
    const junk = join(scratch, 'junk.lamp');
    writeFileSync(junk, 'this is not a zip file');
    await page.setInputFiles('#plugins-file', junk);
    await page.waitForFunction(() => /^junk\.lamp: invalid_package: /.test(document.querySelector('#plugins-result').textContent));
    assert.equal(await page.$('#plugins-pending article'), null);
  });

  it('raised no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
