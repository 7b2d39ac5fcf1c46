// Unit tests of src/hardware.ts: reading the bridge's JSON errors, which
// controls a device type gets, form values, showing values and applying
// `changed` events. The types below are shaped as `hardware/types` answers
// (the YAML files in src/agents/hardware/types as JSON).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importSource } from './bundle.mjs';

let hw;
let RequestError;

before(async () => {
  ({ RequestError, ...hw } = await importSource(`
    export * from './src/hardware.ts';
    export { RequestError } from './src/connection.ts';
  `));
});

const percent = { type: 'integer', minimum: 0, maximum: 100, unit: 'percent' };

const BULB = {
  id: 'bulb',
  name: 'Dimmable bulb',
  state: { brightness: { ...percent, title: 'Brightness' }, on: { type: 'boolean', title: 'On' } },
  commands: {
    set_brightness: {
      payload: {
        brightness: { ...percent, required: true },
        transition_ms: { type: 'integer', minimum: 0, maximum: 10000, unit: 'milliseconds' },
      },
      effect: { on: true },
    },
    toggle: { payload: {}, toggle: ['on'] },
    turn_off: { payload: {}, effect: { on: false } },
    turn_on: { payload: {}, effect: { on: true } },
  },
  config: {},
};

const RGB_BULB = {
  ...BULB,
  id: 'rgb_bulb',
  state: { ...BULB.state, color: { type: 'string', format: 'hex', length: 6, title: 'Colour' } },
  commands: {
    ...BULB.commands,
    set_color: { payload: { color: { type: 'string', required: true, format: 'hex', length: 6 } }, effect: { on: true } },
  },
};

const SENSOR = {
  id: 'temperature_sensor',
  name: 'Temperature sensor',
  state: {
    battery: { ...percent, read_only: true },
    temperature: { type: 'number', minimum: -40, maximum: 125, read_only: true, unit: 'degree celsius' },
  },
  commands: { refresh: { payload: {} } },
  config: { report_interval_s: { type: 'integer', minimum: 5, maximum: 3600, default: 60 } },
};

const SCALE = {
  id: 'scale',
  name: 'Scale',
  state: { user: { type: 'string', max_length: 24 }, weight_kg: { type: 'number', read_only: true } },
  commands: {
    set_user: { payload: { user: { type: 'string', required: true, min_length: 1 } } },
    tare: { payload: {}, effect: { weight_kg: 0 } },
  },
  config: {
    display_unit: { type: 'string', enum: ['kg', 'lb'], default: 'kg' },
    serial_number: { type: 'string', required: true, regex: 'SC-[0-9]{6}' },
  },
};

test('a bulb gets an on/off switch from turn_on/turn_off, a brightness slider and the set_brightness form', () => {
  const controls = hw.planControls(BULB);
  assert.deepEqual(controls, [
    { kind: 'switch', field: 'on', on: 'turn_on', off: 'turn_off' },
    { kind: 'slider', field: 'brightness', command: 'set_brightness', min: 0, max: 100, step: 1, unit: 'percent' },
    { kind: 'form', command: 'set_brightness', description: undefined, fields: BULB.commands.set_brightness.payload },
  ]);
});

test('an RGB bulb also gets a colour picker', () => {
  const kinds = hw.planControls(RGB_BULB).map((c) => `${c.kind}:${c.field ?? c.command}`);
  assert.deepEqual(kinds, ['switch:on', 'slider:brightness', 'color:color', 'form:set_brightness', 'form:set_color']);
});

test('a type with only a flip command gets a switch that sends it', () => {
  const type = { ...BULB, commands: { toggle: BULB.commands.toggle } };
  assert.deepEqual(hw.planControls(type), [{ kind: 'switch', field: 'on', toggle: 'toggle' }]);
});

test('read-only state gets no controls; commands without payload become buttons', () => {
  assert.deepEqual(hw.planControls(SENSOR), [{ kind: 'button', command: 'refresh', description: undefined }]);
  const scale = hw.planControls(SCALE).map((c) => `${c.kind}:${c.command}`);
  assert.deepEqual(scale, ['button:tare', 'form:set_user']);
});

test('registration asks for the required configuration only', () => {
  assert.deepEqual(Object.keys(hw.requiredConfig(SCALE)), ['serial_number']);
  assert.deepEqual(hw.requiredConfig(BULB), {});
});

test("a failed Response's JSON error text becomes a HardwareError", () => {
  const text = JSON.stringify({
    code: 'invalid_payload',
    message: 'brightness: 150 is above the maximum 100',
    device: 'zigbee:00124b00a1b2c3d4',
    field: 'brightness',
    rule: 'range',
    errors: [{ field: 'brightness', rule: 'range', message: 'brightness: 150 is above the maximum 100' }],
  });
  const error = hw.hardwareError(new RequestError(text, 'Failed'));
  assert.ok(error instanceof hw.HardwareError);
  assert.equal(error.code, 'invalid_payload');
  assert.equal(error.field, 'brightness');
  assert.equal(error.rule, 'range');
  assert.equal(error.device, 'zigbee:00124b00a1b2c3d4');
  assert.deepEqual(error.fields, ['brightness']);
  assert.equal(error.describe(), 'invalid_payload: brightness: 150 is above the maximum 100');
});

test('several broken fields are all described', () => {
  const text = JSON.stringify({
    code: 'invalid_payload',
    message: 'colour: is not a field of this payload (expected one of: brightness, transition_ms)',
    field: 'colour',
    rule: 'unknown_field',
    errors: [
      { field: 'colour', rule: 'unknown_field', message: 'colour: is not a field of this payload (expected one of: brightness, transition_ms)' },
      { field: 'brightness', rule: 'type', message: 'brightness: "x" is not an integer' },
    ],
  });
  const error = hw.hardwareError(new RequestError(text, 'Failed'));
  assert.deepEqual(error.fields, ['colour', 'brightness']);
  assert.match(error.describe(), /^invalid_payload: colour: .*; brightness: "x" is not an integer$/);
});

test("the host's refusals and non-JSON failures keep their text and code", () => {
  const refused = hw.hardwareError(new RequestError('no channel "hardware/devices" is advertised', 'UnknownChannel'));
  assert.equal(refused.describe(), 'UnknownChannel: no channel "hardware/devices" is advertised');
  const plain = hw.hardwareError(new RequestError('bad things', 'Failed'));
  assert.equal(plain.code, 'Failed');
  assert.equal(plain.message, 'bad things');
});

test('form values become the JSON the field wants, and wrong ones go to the bridge as typed', () => {
  const brightness = BULB.commands.set_brightness.payload.brightness;
  assert.equal(hw.fieldValue(brightness, '150'), 150);
  assert.equal(hw.fieldValue(brightness, ' 40 '), 40);
  assert.equal(hw.fieldValue(brightness, 'high'), 'high');
  assert.equal(hw.fieldValue(brightness, ''), undefined);
  assert.equal(hw.fieldValue({ type: 'boolean' }, 'true'), true);
  assert.equal(hw.fieldValue({ type: 'string' }, 'SC-123456'), 'SC-123456');
});

test('values are shown with their units', () => {
  assert.equal(hw.formatValue(BULB.state.brightness, 40), '40%');
  assert.equal(hw.formatValue(BULB.state.on, true), 'on');
  assert.equal(hw.formatValue(SENSOR.state.temperature, 21.25), '21.3°C');
  assert.equal(hw.formatValue({ type: 'number', unit: 'watts' }, 0), '0 W');
  assert.equal(hw.formatValue(RGB_BULB.state.color, 'ff8800'), '#ff8800');
  assert.equal(hw.formatValue(undefined, null), '—');
  assert.equal(hw.formatValue({ type: 'string' }, ''), '—');
  assert.deepEqual(hw.stateOrder(RGB_BULB, { brightness: 1, color: 'ffffff', on: true }), ['on', 'brightness', 'color']);
});

test('a changed event replaces the state; register and configure also bring name and config', () => {
  const device = {
    id: 'wifi:a4:cf:12:72:13:fe',
    radio: 'wifi',
    address: 'a4:cf:12:72:13:fe',
    type: 'scale',
    name: null,
    registered: false,
    available: true,
    config: {},
    state: {},
  };
  const registered = hw.applyChange(device, {
    device: device.id,
    cause: 'register',
    changes: { user: '' },
    state: { user: '' },
    name: 'Bathroom',
    config: { serial_number: 'SC-123456', display_unit: 'kg' },
  });
  assert.equal(registered.registered, true);
  assert.equal(registered.name, 'Bathroom');
  assert.deepEqual(registered.config, { serial_number: 'SC-123456', display_unit: 'kg' });
  assert.equal(device.registered, false, 'the old object is left alone');
  const reported = hw.applyChange(registered, { device: device.id, cause: 'report', changes: { weight_kg: 70.2 }, state: { user: '', weight_kg: 70.2 } });
  assert.deepEqual(reported.state, { user: '', weight_kg: 70.2 });
  assert.equal(reported.name, 'Bathroom');
});

test("a plugin's device goes unavailable and back with its plugin", () => {
  const device = {
    id: 'plugin:weather.station',
    radio: 'plugin',
    address: 'weather.station',
    type: 'weather_station',
    name: 'Weather station',
    registered: true,
    available: true,
    config: {},
    state: { temperature: 12.5 },
  };
  const gone = hw.applyChange(device, { device: device.id, cause: 'availability', available: false, changes: {}, state: device.state });
  assert.equal(gone.available, false);
  assert.equal(gone.registered, true);
  const back = hw.applyChange(gone, { device: device.id, cause: 'availability', available: true, changes: {}, state: device.state });
  assert.equal(back.available, true);
  assert.equal(hw.applyChange(back, { device: device.id, cause: 'report', changes: { temperature: 13 }, state: { temperature: 13 } }).available, true);
  assert.equal(hw.radioName('plugin'), 'Plugin');
});

test("an adapter in trouble shows why; a running one shows only its status", () => {
  const failed = hw.summarizeAdapter({
    radio: 'zwave',
    name: 'Z-Wave controller',
    status: 'failed',
    error: 'the adapter has not started: I/O error: no Z-Wave controller at /dev/ttyACM0: the device does not exist',
    port: '/dev/ttyACM0',
    firmware: null,
    devices: 0,
    queued: 0,
  });
  assert.equal(failed.label, 'Z-Wave controller: failed');
  assert.match(failed.problem, /does not exist/);
  assert.equal(failed.detail, 'port /dev/ttyACM0, 0 devices, 0 jobs queued');
  const silent = hw.summarizeAdapter({ radio: 'zigbee', name: 'Zigbee dongle', status: 'not_answering', error: 'no answer within 2000 ms' });
  assert.deepEqual([silent.label, silent.problem], ['Zigbee dongle: not answering', 'no answer within 2000 ms']);
  const quiet = hw.summarizeAdapter({ radio: 'zwave', name: 'Z-Wave controller', status: 'failed', error: null });
  assert.equal(quiet.problem, 'the Z-Wave adapter gave no reason');
  const running = hw.summarizeAdapter({ radio: 'wifi', name: 'Simulated Wi-Fi dongle', status: 'running', error: null, firmware: 'sim-0.1.0', devices: 6, queued: 1 });
  assert.equal(running.label, 'Simulated Wi-Fi dongle: running');
  assert.equal(running.problem, null);
  assert.equal(running.detail, 'firmware sim-0.1.0, 6 devices, 1 jobs queued');
});
