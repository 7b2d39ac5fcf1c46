// The editor against the fleet gateway: a real nats-server, two demo games
// bridged to it (`--nats URL --instance NAME`) and `switchboard fleet`,
// whose page a headless Chromium opens. The page lists every instance's
// `fleet/<instance>/...` channels, shows one instance's live telemetry,
// switches to the other and spawns an entity there through NATS (seen on
// that game's own editor, not on the other's), and notices an instance
// killed with SIGKILL. The gateway asks for a token (`--token`), which the
// page takes from its URL's fragment (`#token=`); a page without it is
// refused.
//
//   node --test web_root/tests/fleet.test.mjs
//
// Needs nats-server (Debian package `nats-server`; skipped with a message
// when it is missing), the demo built with the nats feature (DEMO_BIN;
// scripts/test.sh builds it with `full`), the `switchboard` program built
// with `cli,nats` (SWITCHBOARD_BIN; `cargo test --all-features` builds it),
// Chromium (CHROMIUM_BIN) and playwright-core. Loopback only, every wait
// bounded.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openBrowser } from './browser.mjs';

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(WEB_ROOT, '..');
const DEMO_BIN = process.env.DEMO_BIN || join(REPO, 'target/debug/examples/ipc_agent');
const SWITCHBOARD_BIN = process.env.SWITCHBOARD_BIN || join(REPO, 'target/debug/switchboard');
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SCREENSHOT = join(REPO, 'target/artifacts/fleet.png');
const WAIT = 20_000;
/** The gateway's `--token`; the page takes it from `#token=`. */
const TOKEN = 'fleet-s3cret';

/** nats-server on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
function natsServerBinary() {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : null;
}

const NATS_SERVER = natsServerBinary();
const SKIP = NATS_SERVER ? false : 'nats-server not found (scripts/install-deps.sh installs it); skipping the fleet editor test';

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitListening(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const up = await new Promise((r) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        r(true);
      });
      socket.once('error', () => r(false));
    });
    if (up) return;
    await sleep(50);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** A child process whose output is kept, killed (and waited for) at the end. */
class Child {
  constructor(what, bin, args) {
    this.what = what;
    this.output = '';
    this.child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' } });
    this.child.stdout.on('data', (chunk) => (this.output += chunk));
    this.child.stderr.on('data', (chunk) => (this.output += chunk));
    this.child.once('error', (e) => (this.output += `\nspawn failed: ${e.message}`));
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for `  editor:    http://127.0.0.1:PORT/` in what it printed. */
  async editorUrl(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.running) {
      const match = this.output.match(/editor:\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) return match[1];
      await sleep(50);
    }
    this.kill();
    throw new Error(`${this.what} printed no editor URL:\n${this.output}`);
  }

  kill() {
    if (this.running) this.child.kill('SIGKILL');
  }

  async stop() {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

describe('the editor against the fleet gateway', { skip: SKIP, timeout: 240_000 }, () => {
  const children = [];
  const killAll = () => children.forEach((c) => c.kill());
  process.once('exit', killAll);
  let scratch;
  let context;
  let page;
  let demoA;
  let demoB;
  let demoBUrl;
  let gatewayUrl;
  const pageErrors = [];

  before(async () => {
    for (const [what, path] of [['demo binary (DEMO_BIN)', DEMO_BIN], ['switchboard (SWITCHBOARD_BIN)', SWITCHBOARD_BIN], ['Chromium (CHROMIUM_BIN)', CHROMIUM_BIN]]) {
      if (!existsSync(path)) throw new Error(`${what} not found at ${path}`);
    }
    scratch = mkdtempSync(join(tmpdir(), 'switchboard-fleet-editor-'));
    const natsPort = await freePort();
    const nats = new Child('nats-server', NATS_SERVER, ['-a', '127.0.0.1', '-p', String(natsPort)]);
    children.push(nats);
    await waitListening(natsPort, WAIT);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;

    const demo = (instance) =>
      new Child(`demo ${instance}`, DEMO_BIN, [
        '--port', '0',
        '--web-root', join(WEB_ROOT, 'public'),
        '--registry', join(scratch, `${instance}.sqlite`),
        '--nats', natsUrl,
        '--instance', instance,
      ]);
    demoA = demo('fleet-a');
    demoB = demo('fleet-b');
    children.push(demoA, demoB);
    await demoA.editorUrl();
    demoBUrl = await demoB.editorUrl();

    const gateway = new Child('switchboard fleet', SWITCHBOARD_BIN, ['fleet', '--nats', natsUrl, '--port', '0', '--web-root', join(WEB_ROOT, 'public'), '--token', TOKEN]);
    children.push(gateway);
    gatewayUrl = await gateway.editorUrl();

    ({ context, page } = await openBrowser(join(scratch, 'profile'), { height: 1000, wait: WAIT }));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${gatewayUrl}#token=${TOKEN}`, { timeout: WAIT });
  });

  after(async () => {
    await context?.close().catch(() => {});
    // Games and the gateway first, so none of them sees NATS go away.
    for (const child of [...children].reverse()) await child.stop().catch(() => child.kill());
    process.removeListener('exit', killAll);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('connects to the gateway and lists both instances and their channels', async () => {
    await page.waitForSelector('#status[data-state="connected"]');
    assert.match(await page.textContent('#status-detail'), /^switchboard-fleet /);
    for (const name of [
      'fleet/instances',
      'fleet/fleet-a/telemetry/fps',
      'fleet/fleet-a/telemetry/frame_time',
      'fleet/fleet-a/scene/entities',
      'fleet/fleet-a/scene/command',
      'fleet/fleet-b/telemetry/fps',
      'fleet/fleet-b/scene/command',
    ]) {
      await page.waitForSelector(`#channels tr[data-channel="${name}"]`);
    }
    // The game's channels that the demo does not bridge are not mirrored.
    assert.equal(await page.$('#channels tr[data-channel="fleet/fleet-a/echo"]'), null);
    await page.waitForSelector('#fleet:not([hidden])[data-instances="2"]');
    const options = await page.$$eval('#fleet-instance option', (os) => os.map((o) => o.value));
    assert.deepEqual(options, ['fleet-a', 'fleet-b']);
    assert.equal(await page.inputValue('#fleet-instance'), 'fleet-a');
  });

  it('is refused by the gateway without its token', async () => {
    const stranger = await context.newPage();
    await stranger.goto(gatewayUrl, { timeout: WAIT });
    await stranger.waitForSelector('#status[data-state="closed"]');
    assert.match(await stranger.textContent('#status'), /^closed \(4003/);
    assert.equal(await stranger.$('#channels tr'), null);
    await stranger.close();
  });

  it("shows the chosen instance's live telemetry", async () => {
    await page.waitForFunction(() => Number(document.querySelector('#fps-value')?.textContent) > 0);
    await page.waitForFunction(() => Number(document.querySelector('#frame-time-value')?.textContent) > 0);
    await page.waitForFunction(() => Number(document.querySelector('#telemetry-chart')?.dataset.samples) >= 10);
    await page.waitForSelector('#entities tr[data-name="orbiter"]');
  });

  it('switches to the other instance and spawns there through NATS', async () => {
    await page.selectOption('#fleet-instance', 'fleet-b');
    await page.waitForSelector('#notices li:has-text("showing instance fleet-b")');
    // A fresh history for the new instance, then its own samples.
    await page.waitForFunction(() => Number(document.querySelector('#fps-value')?.textContent) > 0);
    await page.fill('#spawn-name', 'fleet-crate');
    await page.fill('#spawn-x', '3');
    await page.fill('#spawn-y', '4');
    await page.click('#spawn-button');
    await page.waitForSelector('#spawn-result[data-state="ok"]');
    const result = await page.textContent('#spawn-result');
    const id = result.match(/^spawned "fleet-crate" as entity (\d+)$/)?.[1];
    assert.ok(id, `unexpected spawn result: ${result}`);
    await page.waitForSelector(`#entities tr[data-entity-id="${id}"][data-name="fleet-crate"]`);

    // It is in fleet-b's own scene, as its own editor shows it...
    const own = await context.newPage();
    await own.goto(demoBUrl, { timeout: WAIT });
    await own.waitForSelector(`#entities tr[data-name="fleet-crate"]`);
    await own.close();
    // ...and not in fleet-a's, shown again in the gateway's page.
    await page.selectOption('#fleet-instance', 'fleet-a');
    await page.waitForSelector('#notices li:has-text("showing instance fleet-a")');
    await page.waitForSelector('#entities tr[data-name="orbiter"]');
    assert.equal(await page.$('#entities tr[data-name="fleet-crate"]'), null);
  });

  it('drops an instance whose game was killed', async () => {
    demoA.kill();
    await demoA.exited;
    // Three missed heartbeats of one second, then the listing changes.
    await page.waitForSelector('#fleet[data-instances="1"]', { timeout: 30_000 });
    await page.waitForSelector('#fleet-instance option[value="fleet-a"]:has-text("gone")', { state: 'attached' });
    // The instance shown was fleet-a: its entities are no longer listed as live.
    await page.waitForSelector('#notices li:has-text("instance fleet-a is gone")');
    await page.waitForFunction(() => document.querySelectorAll('#entities tr').length === 0);
    await page.waitForFunction(() => !document.querySelector('#channels tr[data-channel="fleet/fleet-a/telemetry/fps"]'));
    assert.ok(await page.$('#channels tr[data-channel="fleet/fleet-b/telemetry/fps"]'));
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
