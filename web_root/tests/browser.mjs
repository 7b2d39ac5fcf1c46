// What the browser tests share: a headless Chromium that may reach only
// loopback, and stopping a child process they started.

import { chromium } from 'playwright-core';

const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** A persistent Chromium context in `profileDir` with one page; every
 * request to anything but 127.0.0.1 is aborted (the machine has no network,
 * and the editor must not need one). */
export async function openBrowser(profileDir, { height, wait }) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1280, height },
    timeout: 60_000,
  });
  context.setDefaultTimeout(wait);
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(timer);
}
