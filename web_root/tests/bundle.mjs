// Test helper: bundles TypeScript modules of the editor for Node with
// esbuild and imports them from memory (nothing is written to disk).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Imports `source`, a module written as if it lived in web_root/. */
export async function importSource(source) {
  const result = await esbuild.build({
    absWorkingDir: WEB_ROOT,
    stdin: { contents: source, resolveDir: WEB_ROOT, loader: 'ts', sourcefile: 'test-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** Imports one module of web_root, e.g. `src/protocol.ts`. */
export function importTs(path) {
  return importSource(`export * from './${path}';`);
}

/** The generated schema classes plus the FlatBuffers runtime, for building host frames. */
export function importSchema() {
  return importSource(`
    export * from './src/generated/switchboard/ipc';
    export { Builder, ByteBuffer } from 'flatbuffers';
  `);
}
