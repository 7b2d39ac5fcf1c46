// Browser test of the Inspector panel against the demo built with the
// `inspector` feature (scripts/test.sh builds it so): find an entity in
// the tree, see a newly spawned entity appear in it without a reload (the
// tree follows the watch of the entity list, it is not polled), select it,
// edit its position in the panel, and see the scene list and the watched
// field change.
//
//   node --test web_root/tests/inspector.test.mjs
//
// Needs what e2e.test.mjs needs: the demo binary (DEMO_BIN), Debian's
// Chromium (CHROMIUM_BIN) and playwright-core. Loopback only, every wait
// bounded.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openBrowser, stopChild } from './browser.mjs';

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(WEB_ROOT, '..');
const DEMO_BIN = process.env.DEMO_BIN || join(REPO, 'target/debug/examples/ipc_agent');
const SCREENSHOT = join(REPO, 'target/artifacts/inspector.png');
const WAIT = 15_000;
const POSITION = 'ipc_agent::scene::Position';

/** Starts the demo on a free port; resolves with its process and editor URL. */
async function startDemo(registry) {
  const child = spawn(DEMO_BIN, ['--port', '0', '--web-root', join(WEB_ROOT, 'public'), '--registry', registry], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

describe('inspector panel', () => {
  let demo;
  let context;
  let page;
  let scratch;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'switchboard-inspector-'));
    demo = await startDemo(join(scratch, 'registry.sqlite'));
    ({ context, page } = await openBrowser(join(scratch, 'profile'), { height: 1100, wait: WAIT }));
    await page.goto(demo.url, { timeout: WAIT });
  });

  after(async () => {
    await context?.close();
    await stopChild(demo?.child);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('lists the scene, edits a position and shows the watched value', { timeout: 90_000 }, async () => {
    await page.waitForSelector('#inspector-tree li[data-name="orbiter"]');
    await page.waitForSelector('#inspector-tree li[data-name="drifter"]');

    // The tree is not read again while nothing in the list changes (it
    // used to be read every second)...
    const reads = () => page.$eval('#inspector-tree', (el) => Number(el.dataset.reads));
    const idle = await reads();
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(await reads(), idle, 'the entity tree was read again although no entity changed');

    // ...and a newly spawned entity appears without a reload or a search,
    // driven by the watch of the entity list. A still entity, so the only
    // moves are the ones this test makes.
    const spawned = await page.evaluate(() =>
      window.switchboard.request('scene/command', { op: 'spawn', name: 'statue', x: 1, y: 2 }),
    );
    const id = spawned.id;
    await page.waitForSelector(`#inspector-tree li[data-entity="${id}"][data-name="statue"]`);
    assert.ok((await reads()) > idle, 'the tree was not read again after the spawn');
    await page.fill('#inspector-search', 'stat');
    await page.waitForFunction(() => {
      const names = [...document.querySelectorAll('#inspector-tree li')].map((li) => li.dataset.name);
      return names.length === 1 && names[0] === 'statue';
    });
    await page.click(`#inspector-tree li[data-entity="${id}"]`);
    const x = `#inspector-components fieldset[data-component="${POSITION}"] input[data-field="x"]`;
    await page.waitForFunction((sel) => document.querySelector(sel)?.value === '1', x);
    assert.equal(await page.$eval(`${x.replace('"x"', '"y"')}`, (el) => el.value), '2');

    // Edit in the panel: the game applies it, the scene list shows it.
    await page.fill(x, '7.5');
    await page.press(x, 'Tab');
    await page.waitForFunction(
      (entity) => document.querySelector(`#entities tr[data-entity-id="${entity}"]`)?.cells[2]?.textContent === '7.50',
      id,
    );
    await page.waitForFunction(() => /^set Position\.x = 7\.5$/.test(document.querySelector('#inspector-result').textContent));

    // A change made elsewhere reaches the field through the watch.
    await page.evaluate((entity) => window.switchboard.request('scene/command', { op: 'move', id: entity, x: -3.25, y: 4 }), id);
    await page.waitForFunction((sel) => document.querySelector(sel)?.value === '-3.25', x);

    // A value of the wrong kind is refused with the path named.
    const refusal = await page.evaluate(
      (args) =>
        window.switchboard
          .request('world/mutate', { entity: args.id, component: args.type, path: 'x', value: 'far' })
          .then(() => 'accepted', (e) => e.message),
      { id, type: POSITION },
    );
    assert.match(refusal, /x/);
    assert.match(refusal, /f64/);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
