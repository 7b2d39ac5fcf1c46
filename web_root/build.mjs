// Bundles src/ into public/app.js, the file public/index.html loads.
//
//   node build.mjs           write public/app.js
//   node build.mjs --check   fail if public/app.js differs from a fresh build
//
// public/ is all the host serves (sources, tests and node_modules stay
// private); app.js is checked in so serving needs no Node. The
// --check mode (run by tests/build.test.mjs) keeps it in step with src/.

import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
export const OUTFILE = join(root, 'public', 'app.js');

/** Builds the bundle in memory and returns its bytes. */
export async function bundle() {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts'],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    charset: 'utf8',
    legalComments: 'none',
    banner: { js: '// Built by `npm run build` (web_root/build.mjs) from web_root/src; do not edit.' },
    outfile: OUTFILE,
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0].contents;
}

async function main() {
  const fresh = await bundle();
  if (process.argv.includes('--check')) {
    const current = await readFile(OUTFILE).catch(() => Buffer.alloc(0));
    if (!Buffer.from(fresh).equals(current)) {
      console.error('web_root/public/app.js is stale: run `npm run build` in web_root and commit the result');
      process.exit(1);
    }
    console.log('web_root/public/app.js matches a fresh build');
  } else {
    await writeFile(OUTFILE, fresh);
    console.log(`wrote ${OUTFILE} (${fresh.length} bytes)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
