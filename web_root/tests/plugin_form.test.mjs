// Unit tests of src/plugin_form.ts: the checks the Plugins panel makes
// before asking the host, the install body, reading the host's refusals
// (shaped as the package manager sends them, docs/packages.md), and the
// bounded log book.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importSource } from './bundle.mjs';

let pf;
let RequestError;

before(async () => {
  ({ RequestError, ...pf } = await importSource(`
    export * from './src/plugin_form.ts';
    export { RequestError } from './src/connection.ts';
  `));
});

const SETTINGS = {
  api_key: { type: 'string', required: true, length: 8, secret: true },
  interval: { type: 'integer', minimum: 1000, maximum: 5000, default: 2000 },
  mqtt: { type: 'string', required: true, regex: 'mqtt://.+' },
  unit: { type: 'string', enum: ['c', 'f'] },
  verbose: { type: 'boolean' },
};

test('a filled form becomes typed values; empty optional fields are left to the host', () => {
  const { configuration, errors } = pf.checkForm(SETTINGS, {
    api_key: 'k3y-k3y!',
    interval: ' 1500 ',
    mqtt: 'mqtt://broker',
    unit: '',
    verbose: 'true',
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(configuration, { api_key: 'k3y-k3y!', interval: 1500, mqtt: 'mqtt://broker', verbose: true });
});

test('each broken field gets one error naming the field and the host\'s rule', () => {
  const { errors } = pf.checkForm(SETTINGS, { api_key: 'short', interval: '999', mqtt: '', unit: 'k', verbose: 'maybe' });
  assert.deepEqual(
    errors.map((e) => [e.field, e.rule]),
    [
      ['api_key', 'length'],
      ['interval', 'range'],
      ['mqtt', 'required'],
      ['unit', 'enum'],
      ['verbose', 'type'],
    ],
  );
  assert.equal(errors[1].message, 'interval: 999 is below the minimum 1000');
  assert.equal(errors[2].message, 'mqtt: is required');
});

test('not a number, not an integer, above the maximum', () => {
  const check = (raw) => pf.checkForm({ n: SETTINGS.interval }, { n: raw }).errors[0];
  assert.equal(check('12x').rule, 'type');
  assert.equal(check('1500.5').rule, 'type');
  assert.equal(check('5001').message, 'n: 5001 is above the maximum 5000');
  assert.equal(check('5000'), undefined);
});

test('regex is left to the host (its dialect is not JavaScript\'s)', () => {
  assert.deepEqual(pf.checkForm({ mqtt: SETTINGS.mqtt }, { mqtt: 'http://nope' }).errors, []);
});

test('a required field the host already holds may stay empty (secrets are never shown back)', () => {
  const raw = { api_key: '', interval: '', mqtt: 'mqtt://b', unit: '', verbose: '' };
  assert.equal(pf.checkForm(SETTINGS, raw).errors[0].field, 'api_key');
  const { configuration, errors } = pf.checkForm(SETTINGS, raw, new Set(['api_key']));
  assert.deepEqual(errors, []);
  assert.deepEqual(configuration, { mqtt: 'mqtt://b' });
});

test('lengths count characters as the host does, not UTF-16 units', () => {
  assert.equal(pf.checkSetting('k', { type: 'string', length: 2 }, '🙂🙂', false), null);
  assert.equal(pf.checkSetting('k', { type: 'string', max_length: 1 }, '🙂🙂', false).rule, 'length');
});

test('the install body is one JSON options line, a newline, then the package bytes', () => {
  const lamp = new Uint8Array([0x50, 0x4b, 3, 4, 0, 10]);
  const body = pf.installBody({ mqtt: 'mqtt://b' }, lamp);
  const newline = body.indexOf(10);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(body.slice(0, newline))), {
    configuration: { mqtt: 'mqtt://b' },
    upgrade: false,
  });
  assert.deepEqual([...body.slice(newline + 1)], [...lamp]);
  const upgrade = pf.installBody({}, lamp, true);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(upgrade.slice(0, upgrade.indexOf(10)))), {
    configuration: {},
    upgrade: true,
  });
});

test('a refused configuration names each field with its rule', () => {
  const reason = JSON.stringify({
    code: 'invalid_configuration',
    message: 'configuration refused',
    errors: [
      { field: 'mqtt', rule: 'regex', message: 'mqtt: "http://x" does not match mqtt://.+' },
      { field: 'interval', rule: 'range', message: 'interval: 1 is below the minimum 1000' },
    ],
  });
  const error = pf.packageError(new RequestError(reason, 'Failed'));
  assert.equal(error.code, 'invalid_configuration');
  const messages = pf.fieldMessages(error);
  assert.equal(messages.get('mqtt'), 'mqtt: "http://x" does not match mqtt://.+ (rule: regex)');
  assert.equal(messages.get('interval'), 'interval: 1 is below the minimum 1000 (rule: range)');
  // A refusal that is not JSON (another host) is kept as it is.
  const plain = pf.packageError(new RequestError('no such channel', 'Failed'));
  assert.equal(plain.describe(), 'Failed: no such channel');
  assert.equal(pf.fieldMessages(plain).size, 0);
});

test('statuses read as people say them; the plugin id comes from info.yml', () => {
  assert.equal(pf.describeStatus(undefined), 'no process');
  assert.equal(pf.describeStatus({ id: 'w', state: 'running', pid: 3, restarts: 0, uptime_ms: 5 }), 'running');
  assert.equal(
    pf.describeStatus({ id: 'w', state: 'restarting', pid: null, restarts: 2, uptime_ms: null, reason: 'exited with status 3' }),
    'restarting: exited with status 3',
  );
  assert.equal(pf.pluginId({ package: 'com.example.w', info: { id: 'w' } }), 'w');
  // As the runner registers it: lowercase, other characters as '-'.
  assert.equal(pf.pluginId({ package: 'com.example.w', info: null }), 'com-example-w');
  assert.equal(pf.pluginId({ package: 'com.example.w', info: { id: 'My.Probe' } }), 'my-probe');
  // The host's own word wins.
  assert.equal(pf.pluginId({ package: 'com.example.w', info: null, status: { id: 'x' } }), 'x');
  assert.equal(pf.formatUptime(12_400), '12 s');
  assert.equal(pf.formatUptime(184_000), '3 min 04 s');
  assert.equal(pf.formatUptime(3_720_000), '1 h 02 min');
  assert.equal(pf.formatUptime(null), '');
});

test('the log book keeps the latest lines per plugin and forgets removed plugins', () => {
  const book = new pf.LogBook(3);
  for (let i = 0; i < 10; i++) book.add({ plugin: 'a', stream: 'stderr', line: `line ${i}` });
  book.add({ plugin: 'b', stream: 'stderr', line: 'hello' });
  book.add({ nonsense: true });
  assert.deepEqual(
    book.of('a').map((l) => l.line),
    ['line 7', 'line 8', 'line 9'],
  );
  book.keepOnly(new Set(['b']));
  assert.deepEqual(book.of('a'), []);
  assert.equal(book.of('b').length, 1);
});

test('the log book holds at most 100 plugins', () => {
  const book = new pf.LogBook(1);
  for (let i = 0; i < 150; i++) book.add({ plugin: `p${i}`, stream: 'stderr', line: 'x' });
  assert.deepEqual(book.of('p0'), []);
  assert.equal(book.of('p149').length, 1);
  assert.equal(book.of('p50').length, 1);
});

test('the list key ignores the statuses (their uptime moves every time) but nothing else', () => {
  const entry = { package: 'a', version: '1', enabled: true, status: { id: 'a', state: 'running', uptime_ms: 5 } };
  const later = { ...entry, status: { ...entry.status, uptime_ms: 9000 } };
  assert.equal(pf.listKey([entry]), pf.listKey([later]));
  assert.notEqual(pf.listKey([entry]), pf.listKey([{ ...later, enabled: false }]));
});
