// End-to-end test of the browser editor: the demo game (examples/ipc_agent)
// serves web_root, and a real headless Chromium drives the page.
//
//   node --test web_root/tests/
//
// Needs: the demo binary (`cargo build --example ipc_agent`; path from
// DEMO_BIN), Chromium at /usr/bin/chromium (Debian package `chromium`; path
// from CHROMIUM_BIN) and `npm ci` in web_root (playwright-core). Everything
// stays on 127.0.0.1 and every wait is bounded.

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
  static async start(port = 0) {
    const demo = new Demo();
    demo.child = spawn(DEMO_BIN, ['--port', String(port), '--web-root', join(WEB_ROOT, 'public')], {
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

describe('browser editor against the demo game', { timeout: 180_000 }, () => {
  let demo;
  let context;
  let page;
  let userDataDir;
  const pageErrors = [];
  const running = new Set();
  const killAll = () => running.forEach((d) => d.kill());
  process.once('exit', killAll);

  before(async () => {
    for (const [what, path] of [['demo binary (DEMO_BIN)', DEMO_BIN], ['Chromium (CHROMIUM_BIN)', CHROMIUM_BIN]]) {
      try {
        statSync(path);
      } catch {
        throw new Error(`${what} not found at ${path}`);
      }
    }
    demo = await Demo.start();
    running.add(demo);
    userDataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    });
    context.setDefaultTimeout(WAIT);
    // Loopback only: refuse anything that is not the demo's own origin.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      // Chromium logs every failed WebSocket attempt; reconnecting is expected.
      if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) {
        pageErrors.push(`console: ${m.text()}`);
      }
    });
    await page.goto(demo.url, { timeout: WAIT });
  });

  after(async () => {
    await context?.close().catch(() => {});
    for (const d of running) await d.stop().catch(() => d.kill());
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('connects and shows the client and session ids', { timeout: 30_000 }, async () => {
    await page.waitForSelector('#status[data-state="connected"]');
    assert.match(await page.textContent('#status'), /^connected as client \d+$/);
    const sessionId = await page.getAttribute('#status', 'data-session-id');
    assert.match(sessionId, /^[0-9a-f]{16}$/);
    assert.match(await page.textContent('#status-detail'), new RegExp(`session ${sessionId}`));
  });

  it('lists the advertised channels', { timeout: 30_000 }, async () => {
    for (const name of ['echo', 'scene/command', 'scene/entities', 'telemetry/fps', 'telemetry/frame_time', 'telemetry/entity_count']) {
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
        demo = await Demo.start(port);
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
  });

  it('raised no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
