// The checked-in app.js must be exactly what `npm run build` makes from src/,
// and src/ must type-check (esbuild only strips types).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { OUTFILE, bundle } from '../build.mjs';

const WEB_ROOT = dirname(dirname(OUTFILE));

test('app.js is up to date with src/ (run `npm run build` in web_root)', async () => {
  const fresh = Buffer.from(await bundle());
  const current = await readFile(OUTFILE);
  assert.ok(fresh.equals(current), 'web_root/public/app.js differs from a fresh build: run `npm run build` in web_root and commit it');
});

test('the bundle is deterministic', async () => {
  const [a, b] = await Promise.all([bundle(), bundle()]);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
});

test('src/ type-checks (tsc --noEmit)', { timeout: 120_000 }, () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', WEB_ROOT], { encoding: 'utf8', timeout: 110_000 });
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`);
});
