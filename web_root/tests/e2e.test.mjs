// End-to-end test of the browser editor: the demo game (examples/ipc_agent)
// serves web_root, and a real headless Chromium drives the page.
//
//   node --test web_root/tests/
//
// Needs: the demo binary (`cargo build --example ipc_agent`; path from
// DEMO_BIN), Chromium at /usr/bin/chromium (Debian package `chromium`; path
// from CHROMIUM_BIN) and `npm ci` in web_root (playwright-core). Everything
// stays on 127.0.0.1 and every wait is bounded.
//
// The demo's hardware bridge runs simulated radios whose device exchanges
// fail now and then (1 %, `device_error`), as real radios do; device actions
// here are retried on such failures (`act`), never on validation errors.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(WEB_ROOT, '..');
const DEMO_BIN = process.env.DEMO_BIN || join(REPO, 'target/debug/examples/ipc_agent');
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SCREENSHOT = join(REPO, 'target/artifacts/editor.png');
const DEVICES_SCREENSHOT = join(REPO, 'target/artifacts/devices.png');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Generous bound for one wait in the page (slow CI machines included). */
const WAIT = 15_000;

/** A running demo game: its process, its editor URL and what it printed. */
class Demo {
  /**
   * `registry`: the hardware bridge's SQLite file (the demo's default is shared, in the temp dir);
   * `extra`: more arguments, such as `--zwave-port PATH`.
   */
  static async start(port, registry, extra = []) {
    const demo = new Demo();
    const args = ['--port', String(port), '--web-root', join(WEB_ROOT, 'public'), '--registry', registry, ...extra];
    demo.child = spawn(DEMO_BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' },
    });
    demo.output = '';
    demo.child.stdout.on('data', (chunk) => (demo.output += chunk));
    demo.child.stderr.on('data', (chunk) => (demo.output += chunk));
    demo.exited = new Promise((resolve) => demo.child.once('exit', (code, signal) => resolve({ code, signal })));
    demo.failed = false;
    demo.child.once('error', (e) => {
      demo.failed = true;
      demo.output += `\nspawn failed: ${e.message}`;
    });
    demo.url = await demo.waitForUrl(30_000);
    return demo;
  }

  /** Waits for `  editor:    http://127.0.0.1:PORT/` on stdout. */
  async waitForUrl(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      const match = this.output.match(/editor:\s+(http:\/\/127\.0\.0\.1:(\d+)\/)/);
      if (match) return match[1];
      if (exited || this.failed || this.child.exitCode !== null) break;
      await sleep(50);
    }
    this.kill();
    throw new Error(`the demo printed no editor URL within ${timeoutMs} ms:\n${this.output}`);
  }

  get port() {
    return Number(new URL(this.url).port);
  }

  /** Stops the demo; resolves once it has exited (SIGKILL after 5 s). */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Headless Chromium with its own profile, allowed to reach 127.0.0.1 only. */
async function openBrowser(userDataDir) {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(WAIT);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
    return route.abort();
  });
  return context;
}

function checkBinaries() {
  for (const [what, path] of [['demo binary (DEMO_BIN)', DEMO_BIN], ['Chromium (CHROMIUM_BIN)', CHROMIUM_BIN]]) {
    try {
      statSync(path);
    } catch {
      throw new Error(`${what} not found at ${path}`);
    }
  }
}

/** Failures of the (simulated) radio, worth another try; anything else is the answer. */
const RADIO_FAILURE = /^(device_error|timeout|busy):/;

/**
 * Runs `action` on a device row and waits for the row's result line to say
 * ok or error; tries again (up to 4 times) when the radio dropped the
 * exchange. Returns the final { state, text }.
 */
async function act(row, action, attempts = 4) {
  const result = row.getByTestId('device-result');
  for (let attempt = 1; ; attempt++) {
    await result.evaluate((el) => {
      el.dataset.state = '';
      el.textContent = '';
    });
    await action();
    await row.locator('[data-testid="device-result"]:is([data-state="ok"], [data-state="error"])').waitFor();
    const state = await result.getAttribute('data-state');
    const text = await result.textContent();
    if (state === 'error' && RADIO_FAILURE.test(text) && attempt < attempts) continue;
    return { state, text };
  }
}

/** The device's state as `hardware/state` reads it from the radio, asked on `page`'s own connection. */
function readState(page, device) {
  return page.evaluate(async (device) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await window.switchboard.request('hardware/state', { device })).state;
      } catch (e) {
        if (attempt >= 4 || !['device_error', 'timeout', 'busy'].includes(e.code)) throw new Error(`${e.code}: ${e.message}`);
      }
    }
  }, device);
}

/** A state field's value in a device row, as the page shows it (`data-value`: JSON, strings bare). */
function shown(page, device, field) {
  return page.getAttribute(`#devices tr[data-device-id="${device}"] [data-state-field="${field}"]`, 'data-value');
}

/** Waits until the row shows `field` = `value`. */
function waitShown(page, device, field, value) {
  return page.waitForSelector(`#devices tr[data-device-id="${device}"] [data-state-field="${field}"][data-value="${value}"]`);
}

describe('browser editor against the demo game', { timeout: 180_000 }, () => {
  let demo;
  let context;
  let page;
  /** A second editor tab: its own connection, i.e. another client of the game. */
  let other;
  let userDataDir;
  let registryDir;
  let registry;
  // What the device tests chose and set, checked again after the restart.
  let bulb;
  let brightness;
  let scale;
  const pageErrors = [];
  const running = new Set();
  const killAll = () => running.forEach((d) => d.kill());
  process.once('exit', killAll);

  before(async () => {
    checkBinaries();
    registryDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-registry-'));
    registry = join(registryDir, 'devices.sqlite');
    demo = await Demo.start(0, registry);
    running.add(demo);
    userDataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-chromium-'));
    context = await openBrowser(userDataDir);
    page = context.pages()[0] ?? (await context.newPage());
    watchErrors(page, '');
    await page.goto(demo.url, { timeout: WAIT });
  });

  after(async () => {
    await context?.close().catch(() => {});
    for (const d of running) await d.stop().catch(() => d.kill());
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (registryDir) rmSync(registryDir, { recursive: true, force: true });
  });

  function watchErrors(p, label) {
    p.on('pageerror', (e) => pageErrors.push(`${label}${e}`));
    p.on('console', (m) => {
      // Chromium logs every failed WebSocket attempt; reconnecting is expected.
      if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) {
        pageErrors.push(`${label}console: ${m.text()}`);
      }
    });
  }

  it('connects and shows the client and session ids', { timeout: 30_000 }, async () => {
    await page.waitForSelector('#status[data-state="connected"]');
    assert.match(await page.textContent('#status'), /^connected as client \d+$/);
    const sessionId = await page.getAttribute('#status', 'data-session-id');
    assert.match(sessionId, /^[0-9a-f]{16}$/);
    assert.match(await page.textContent('#status-detail'), new RegExp(`session ${sessionId}`));
  });

  it('lists the advertised channels', { timeout: 30_000 }, async () => {
    for (const name of ['echo', 'scene/command', 'scene/entities', 'telemetry/fps', 'telemetry/frame_time', 'telemetry/entity_count', 'hardware/command', 'hardware/events/changed']) {
      await page.waitForSelector(`#channels tr[data-channel="${name}"]`);
    }
    const fps = await page.$$eval('#channels tr[data-channel="telemetry/fps"] td', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(fps.slice(2), ['json', 'latest', 'game']);
    const echo = await page.$$eval('#channels tr[data-channel="echo"] td', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(echo.slice(2), ['text', 'reliable', 'game + clients']);
  });

  it('shows live telemetry and draws the chart', { timeout: 30_000 }, async () => {
    await page.waitForFunction(() => Number(document.querySelector('#fps-value')?.textContent) > 0);
    await page.waitForFunction(() => Number(document.querySelector('#frame-time-value')?.textContent) > 0);
    await page.waitForFunction(() => Number(document.querySelector('#entity-count-value')?.textContent) > 0);
    // Both lines drawn: enough samples, and pixels of both line colours in
    // the right-hand quarter of the canvas (where the newest samples are).
    await page.waitForFunction(() => Number(document.querySelector('#telemetry-chart')?.dataset.samples) >= 20);
    const pixels = await page.evaluate(() => {
      const canvas = document.querySelector('#telemetry-chart');
      const ctx = canvas.getContext('2d');
      const x0 = Math.floor(canvas.width * 0.75);
      const { data } = ctx.getImageData(x0, 0, canvas.width - x0, canvas.height);
      const near = (i, [r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60 && data[i + 3] > 200;
      let frameTime = 0;
      let fps = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (near(i, [0xd9, 0x48, 0x0f])) frameTime++;
        if (near(i, [0x19, 0x71, 0xc2])) fps++;
      }
      return { frameTime, fps };
    });
    assert.ok(pixels.frameTime > 20, `frame time line not drawn: ${JSON.stringify(pixels)}`);
    assert.ok(pixels.fps > 20, `fps line not drawn: ${JSON.stringify(pixels)}`);
  });

  it('lists the scene and spawns an entity', { timeout: 30_000 }, async () => {
    await page.waitForSelector('#entities tr[data-name="orbiter"]');
    await page.waitForSelector('#entities tr[data-name="drifter"]');
    await page.fill('#spawn-name', 'e2e-crate');
    await page.fill('#spawn-x', '2.5');
    await page.fill('#spawn-y', '-1.5');
    await page.click('#spawn-button');
    await page.waitForSelector('#spawn-result[data-state="ok"]');
    const result = await page.textContent('#spawn-result');
    const id = result.match(/^spawned "e2e-crate" as entity (\d+)$/)?.[1];
    assert.ok(id, `unexpected spawn result: ${result}`);
    const row = `#entities tr[data-entity-id="${id}"][data-name="e2e-crate"]`;
    await page.waitForSelector(row);
    const cells = await page.$$eval(`${row} td`, (tds) => tds.map((c) => c.textContent));
    assert.deepEqual(cells.slice(0, 4), [id, 'e2e-crate', '2.50', '-1.50']);
  });

  it('echoes a message', { timeout: 30_000 }, async () => {
    await page.fill('#echo-input', 'hello from the e2e test');
    await page.click('#echo-send');
    await page.waitForSelector('#echo-log li[data-direction="sent"]:has-text("hello from the e2e test")');
    await page.waitForSelector('#echo-log li[data-direction="received"]:has-text("hello from the e2e test")');
    assert.equal(await page.inputValue('#echo-input'), '');
  });

  it('lists the devices with radio, type, status and state', { timeout: 30_000 }, async () => {
    await page.waitForSelector('#devices-result[data-state="ok"]');
    const rows = await page.$$eval('#devices tr[data-device-id]', (trs) =>
      trs.map((tr) => ({
        id: tr.dataset.deviceId,
        radio: tr.dataset.radio,
        type: tr.dataset.type,
        registered: tr.dataset.registered,
        cells: [...tr.cells].map((c) => c.textContent),
      })),
    );
    assert.ok(rows.length >= 8, `only ${rows.length} devices listed`);
    assert.equal(await page.textContent('#device-total'), String(rows.length));
    // The radios' devices, and the weather station the demo's weather plugin provides.
    assert.deepEqual([...new Set(rows.map((r) => r.radio))].sort(), ['bluetooth', 'plugin', 'wifi', 'zigbee', 'zwave']);
    for (const row of rows) assert.ok(row.id.startsWith(`${row.radio}:`), row.id);
    for (const type of ['bulb', 'rgb_bulb', 'switch', 'temperature_sensor', 'scale']) {
      assert.ok(rows.some((r) => r.type === type), `no ${type} listed`);
    }
    // The demo registers what needs no configuration; scales need a serial number.
    bulb = rows.find((r) => r.type === 'bulb' && r.registered === 'true')?.id;
    scale = rows.find((r) => r.type === 'scale' && r.registered === 'false')?.id;
    assert.ok(bulb && scale, JSON.stringify(rows));
    const row = rows.find((r) => r.id === bulb);
    const radioName = { zigbee: 'Zigbee', zwave: 'Z-Wave', wifi: 'Wi-Fi', bluetooth: 'Bluetooth' }[row.radio];
    assert.match(row.cells[0], new RegExp(`^Dimmable bulb .+${bulb}$`));
    assert.deepEqual(row.cells.slice(1, 4), [radioName, 'Dimmable bulb', 'registered']);
    assert.match(row.cells[4], /^(on|off)Brightness\d+%$/);
    assert.match(await shown(page, bulb, 'on'), /^(true|false)$/);
    assert.match(await shown(page, bulb, 'brightness'), /^\d+$/);
    const bulbRow = `#devices tr[data-device-id="${bulb}"]`;
    await page.waitForSelector(`${bulbRow} [data-testid="toggle"]`);
    await page.waitForSelector(`${bulbRow} input[type="range"][data-testid="slider"][data-field="brightness"]`);
    await page.waitForSelector(`#devices tr[data-device-id="${scale}"] [data-testid="register"]`);
    assert.match(await page.textContent(`#devices tr[data-device-id="${scale}"]`), /discovered/);
    // One adapter per radio and one for the plugins' devices, all running.
    await page.waitForFunction(() => document.querySelectorAll('#adapters li[data-status="running"]').length === 5);
  });

  it("commands the weather station a plugin provides; its type's rules refuse a bad interval", { timeout: 60_000 }, async () => {
    const id = 'plugin:weather.station';
    const row = page.locator(`#devices tr[data-device-id="${id}"]`);
    await page.waitForSelector(`#devices tr[data-device-id="${id}"][data-radio="plugin"][data-registered="true"]`);
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual(cells.slice(1, 4), ['Plugin', 'Weather station', 'registered']);
    assert.match(await shown(page, id, 'temperature'), /^-?\d+(\.\d+)?$/);
    assert.equal(await page.locator('#adapters li[data-radio="plugin"] .adapter-label').textContent(), 'Plugin adapters: running');

    await row.locator('details[data-testid="commands"] > summary').click();
    const form = row.locator('form[data-command="set_interval"]');
    const input = form.locator('input[data-field="interval_s"]');
    await input.fill('0');
    const refused = await act(row, () => form.getByTestId('send-command').click());
    assert.deepEqual(refused, { state: 'error', text: 'invalid_payload: interval_s: 0 is below the minimum 1' });
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal(await shown(page, id, 'interval_s'), '10');

    await input.fill('2');
    const { state, text } = await act(row, () => form.getByTestId('send-command').click());
    assert.equal(state, 'ok', text);
    assert.equal(text, 'set_interval {"interval_s":2}: done');
    await waitShown(page, id, 'interval_s', '2');
    // The plugin's own report (every two seconds now) reaches the row too.
    const before = await shown(page, id, 'temperature');
    await page.waitForFunction(
      ([selector, old]) => document.querySelector(selector)?.dataset.value !== old,
      [`#devices tr[data-device-id="${id}"] [data-state-field="temperature"]`, before],
    );
  });

  it('toggles a bulb; a second client sees the change and reads it from the device', { timeout: 60_000 }, async () => {
    other = await context.newPage();
    watchErrors(other, 'second tab: ');
    await other.goto(demo.url, { timeout: WAIT });
    await other.waitForSelector('#status[data-state="connected"]');
    assert.notEqual(await other.getAttribute('#status', 'data-client-id'), await page.getAttribute('#status', 'data-client-id'));
    await other.waitForSelector(`#devices tr[data-device-id="${bulb}"] [data-state-field="on"]`);

    const row = page.locator(`#devices tr[data-device-id="${bulb}"]`);
    const toggle = row.getByTestId('toggle');
    for (const step of [1, 2]) {
      const before = (await shown(page, bulb, 'on')) === 'true';
      assert.equal(await toggle.textContent(), before ? 'turn off' : 'turn on');
      const { state, text } = await act(row, () => toggle.click());
      assert.equal(state, 'ok', text);
      assert.equal(text, `${before ? 'turn_off' : 'turn_on'}: done`);
      const after = String(!before);
      await waitShown(page, bulb, 'on', after);
      assert.equal(await toggle.getAttribute('aria-pressed'), after);
      assert.equal(await toggle.textContent(), before ? 'turn on' : 'turn off');
      // The other tab got it from hardware/events/changed...
      await waitShown(other, bulb, 'on', after);
      // ...and the device itself agrees, asked on the other tab's connection.
      assert.equal((await readState(other, bulb)).on, !before, `step ${step}`);
    }
  });

  it('sets the brightness with the slider', { timeout: 60_000 }, async () => {
    const row = page.locator(`#devices tr[data-device-id="${bulb}"]`);
    const slider = row.getByTestId('slider');
    const old = Number(await shown(page, bulb, 'brightness'));
    // A click on the track, far from the current value.
    const box = await slider.boundingBox();
    const fraction = old < 50 ? 0.8 : 0.2;
    const { state, text } = await act(row, () => page.mouse.click(box.x + box.width * fraction, box.y + box.height / 2));
    assert.equal(state, 'ok', text);
    brightness = Number(await slider.inputValue());
    assert.ok(Math.abs(brightness - old) > 10, `slider moved from ${old} to ${brightness} only`);
    assert.equal(text, `set_brightness {"brightness":${brightness}}: done`);
    await waitShown(page, bulb, 'brightness', String(brightness));
    assert.equal(await row.locator('[data-state-field="brightness"]').textContent(), `Brightness${brightness}%`);
    assert.equal(await row.locator('label.slider output').textContent(), `${brightness}%`);
    // set_brightness also switches the light on.
    await waitShown(page, bulb, 'on', 'true');
    await waitShown(other, bulb, 'brightness', String(brightness));
    assert.equal(await other.inputValue(`#devices tr[data-device-id="${bulb}"] [data-testid="slider"]`), String(brightness));
    assert.equal((await readState(other, bulb)).brightness, brightness);
  });

  it("shows the bridge's validation error for an out-of-range brightness", { timeout: 30_000 }, async () => {
    const row = page.locator(`#devices tr[data-device-id="${bulb}"]`);
    await row.locator('details[data-testid="commands"] > summary').click();
    const form = row.locator('form[data-command="set_brightness"]');
    const input = form.locator('input[data-field="brightness"]');
    await input.fill('150');
    const { state, text } = await act(row, () => form.getByTestId('send-command').click());
    assert.equal(state, 'error');
    assert.equal(text, 'invalid_payload: brightness: 150 is above the maximum 100');
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    // Nothing reached the device.
    assert.equal(await shown(page, bulb, 'brightness'), String(brightness));
    // The page's console handle gets the same structured error.
    const refused = await page.evaluate(
      (device) =>
        window.switchboard
          .request('hardware/command', { device, command: 'set_brightness', payload: { brightness: -5 } })
          .then(
            () => null,
            (e) => ({ code: e.code, field: e.field, rule: e.rule, message: e.message }),
          ),
      bulb,
    );
    assert.deepEqual(refused, { code: 'invalid_payload', field: 'brightness', rule: 'range', message: 'brightness: -5 is below the minimum 0' });
    // A valid value from the same form clears the mark.
    await input.fill('35');
    const ok = await act(row, () => form.getByTestId('send-command').click());
    assert.equal(ok.state, 'ok', ok.text);
    brightness = 35;
    await waitShown(page, bulb, 'brightness', '35');
    assert.equal(await input.getAttribute('aria-invalid'), null);
  });

  it('discovers devices and registers a scale', { timeout: 60_000 }, async () => {
    const count = await page.textContent('#device-total');
    await page.click('#discover-button');
    await page.waitForSelector('#devices-result:is([data-state="ok"], [data-state="error"])');
    assert.equal(await page.textContent('#devices-result'), `found ${count} devices, 0 new`);
    assert.equal(await page.textContent('#device-total'), count);

    const row = page.locator(`#devices tr[data-device-id="${scale}"]`);
    // Without its serial number the bridge refuses, naming the field.
    const missing = await act(row, () => row.getByTestId('register').click());
    assert.deepEqual(missing, { state: 'error', text: 'invalid_config: serial_number: is required' });
    assert.equal(await row.locator('input[data-field="serial_number"]').getAttribute('aria-invalid'), 'true');
    await row.locator('input[data-field="name"]').fill('e2e scale');
    await row.locator('input[data-field="serial_number"]').fill('SC-123456');
    const { state, text } = await act(row, () => row.getByTestId('register').click());
    assert.equal(state, 'ok', text);
    await page.waitForSelector(`#devices tr[data-device-id="${scale}"][data-registered="true"]`);
    assert.equal(await row.getByTestId('device-name').textContent(), 'e2e scale');
    // Now it has the scale's commands: tare, and a form for set_user.
    await row.locator('[data-testid="command"][data-command="tare"]').waitFor();
    await row.locator('form[data-command="set_user"]').waitFor({ state: 'attached' });
    // The other tab learns of it from the `changed` event (cause "register").
    await other.waitForSelector(`#devices tr[data-device-id="${scale}"][data-registered="true"]`);
    assert.equal(await other.textContent(`#devices tr[data-device-id="${scale}"] [data-testid="device-name"]`), 'e2e scale');
    await other.close();
  });

  it('saves a screenshot of the devices panel', { timeout: 30_000 }, async () => {
    mkdirSync(dirname(DEVICES_SCREENSHOT), { recursive: true });
    await page.locator('#devices-panel').screenshot({ path: DEVICES_SCREENSHOT });
    assert.ok(statSync(DEVICES_SCREENSHOT).size > 10_000);
  });


  it('saves a screenshot', { timeout: 30_000 }, async () => {
    // A few seconds of history, so the chart shows lines rather than dots.
    await page.waitForFunction(() => Number(document.querySelector('#telemetry-chart')?.dataset.samples) >= 80);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 10_000);
  });

  it('despawns from the table', { timeout: 30_000 }, async () => {
    await page.click('#entities tr[data-name="e2e-crate"] button');
    await page.waitForSelector('#spawn-result[data-state="ok"]:has-text("despawned")');
    await page.waitForSelector('#entities tr[data-name="e2e-crate"]', { state: 'detached' });
  });

  it('reports the close and reconnects when the game restarts', { timeout: 60_000 }, async () => {
    const oldSession = await page.getAttribute('#status', 'data-session-id');
    const port = demo.port;
    await demo.stop();
    running.delete(demo);
    await page.waitForSelector('#status[data-state="closed"]');
    assert.match(await page.textContent('#status'), /^closed \(\d+/);
    assert.match(await page.textContent('#status-detail'), /reconnecting in/);
    // Same port, so the page's origin still points at the game. The port was
    // just released; retry briefly in case the bind races with the exit.
    for (let attempt = 1; ; attempt++) {
      try {
        demo = await Demo.start(port, registry);
        break;
      } catch (e) {
        if (attempt === 5) throw e;
        await sleep(1_000);
      }
    }
    running.add(demo);
    await page.waitForFunction(
      (old) => {
        const status = document.querySelector('#status');
        return status?.dataset.state === 'connected' && status.dataset.sessionId !== old;
      },
      oldSession,
      { timeout: 30_000 },
    );
    assert.match(await page.textContent('#status-detail'), /the game restarted/);
    await page.waitForFunction(() => Number(document.querySelector('#fps-value')?.textContent) > 0);
    await page.waitForSelector('#entities tr[data-name="orbiter"]');
    assert.equal(await page.$('#entities tr[data-name="e2e-crate"]'), null);
    // The devices are listed again, from the registry the demo kept.
    await page.waitForSelector('#devices-result[data-state="ok"]');
    await page.waitForSelector(`#devices tr[data-device-id="${scale}"][data-registered="true"]`);
    assert.equal(await page.textContent(`#devices tr[data-device-id="${scale}"] [data-testid="device-name"]`), 'e2e scale');
    await waitShown(page, bulb, 'brightness', String(brightness));
  });

  it('raised no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});

describe('the devices panel when a radio fails', { timeout: 120_000 }, () => {
  let demo;
  let context;
  let page;
  let dir;
  let missing;
  const pageErrors = [];

  before(async () => {
    checkBinaries();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-failed-radio-'));
    // A Z-Wave stick that is not there: the adapter cannot start, and the
    // demo's start-up discovery asks it all the same.
    missing = join(dir, 'no-such-zwave-stick');
    demo = await Demo.start(0, join(dir, 'devices.sqlite'), ['--zwave-port', missing, '--no-plugins']);
    context = await openBrowser(join(dir, 'chromium'));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(demo.url, { timeout: WAIT });
  });

  after(async () => {
    await context?.close().catch(() => {});
    await demo?.stop().catch(() => demo.kill());
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the failed adapter with its reason, and a discovery does not make it look alive', { timeout: 60_000 }, async () => {
    await page.waitForSelector('#devices-result[data-state="ok"]');
    const zwave = page.locator('#adapters li[data-radio="zwave"]');
    const reason = zwave.getByTestId('adapter-error');
    await reason.waitFor();
    assert.equal(await zwave.getAttribute('data-status'), 'failed');
    assert.match(await zwave.locator('.adapter-label').textContent(), /^Z-Wave controller: failed$/);
    const text = await reason.textContent();
    assert.ok(text.includes(missing) && text.includes('does not exist'), text);
    // The other radios run, and show no error.
    await page.waitForFunction(() => document.querySelectorAll('#adapters li[data-status="running"]').length === 3);
    assert.equal(await page.locator('#adapters [data-testid="adapter-error"]').count(), 1);

    // A discovery's Z-Wave part fails too, and says why; the adapter stays failed.
    await page.click('#discover-button');
    await page.waitForSelector('#devices-result[data-state="error"]');
    assert.match(await page.textContent('#devices-result'), /zwave: adapter_error: .*has not started/);
    assert.equal(await zwave.getAttribute('data-status'), 'failed');
    assert.ok((await reason.textContent()).includes('does not exist'));
    assert.deepEqual(pageErrors, []);
  });
});
