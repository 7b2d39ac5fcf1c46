// The hardware bridge's JSON shapes (docs/hardware.md), its requests with
// their structured errors, and which controls a device type gets. No DOM
// here: src/devices.ts draws the panel from what this module works out.

import { Connection, RequestError } from './connection';
import { contentText, jsonContent } from './protocol';

export const EVENTS_PATTERN = 'hardware/events/*';
export const DEVICES_CHANNEL = 'hardware/devices';
export const TYPES_CHANNEL = 'hardware/types';
export const ADAPTERS_CHANNEL = 'hardware/adapters';
export const DISCOVER_CHANNEL = 'hardware/discover';
export const REGISTER_CHANNEL = 'hardware/register';
export const COMMAND_CHANNEL = 'hardware/command';
export const STATE_CHANNEL = 'hardware/state';
export const CHANGED_EVENT = 'hardware/events/changed';
export const DISCOVERED_EVENT = 'hardware/events/discovered';
export const ERROR_EVENT = 'hardware/events/error';
export const ADAPTERS_EVENT = 'hardware/events/adapters';

export type JsonObject = Record<string, unknown>;

/** One field of a state, payload or configuration ("Field rules"). */
export interface FieldRule {
  type: 'boolean' | 'integer' | 'number' | 'string';
  required?: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  length?: number;
  min_length?: number;
  max_length?: number;
  regex?: string;
  format?: 'hex' | 'ipv4' | 'mac';
  enum?: unknown[];
  const?: unknown;
  read_only?: boolean;
  title?: string;
  description?: string;
  unit?: string;
}

export type Fields = Record<string, FieldRule>;

export interface CommandSpec {
  description?: string;
  /** Payload fields; `{}` when the command takes none. */
  payload?: Fields;
  /** State fields the command sets. */
  effect?: JsonObject;
  /** Boolean state fields the command flips. */
  toggle?: string[];
}

export interface DeviceType {
  id: string;
  name: string;
  description?: string;
  radios?: string[];
  state: Fields;
  commands: Record<string, CommandSpec>;
  config: Fields;
}

export interface Device {
  id: string;
  radio: string;
  address: string;
  type: string;
  type_name?: string;
  manufacturer?: string;
  model?: string;
  /** null until registered. */
  name: string | null;
  registered: boolean;
  available: boolean;
  config: JsonObject;
  state: JsonObject;
}

export interface Adapter {
  radio: string;
  name: string;
  status: 'starting' | 'running' | 'failed' | 'not_answering' | string;
  error: string | null;
  simulated?: boolean;
  firmware?: string | null;
  port?: string;
  devices?: number;
  queued?: number;
}

/** What the panel shows for one adapter: a label, and why it is in trouble (shown, not only hovered). */
export interface AdapterSummary {
  label: string;
  /** The bridge's reason while the adapter is failed or not answering; null when it is fine. */
  problem: string | null;
  /** The details for a tooltip. */
  detail: string;
}

export function summarizeAdapter(adapter: Adapter): AdapterSummary {
  const status = String(adapter.status ?? 'unknown').replace(/_/g, ' ');
  const troubled = adapter.status === 'failed' || adapter.status === 'not_answering';
  // A failed adapter without a reason still says so rather than nothing.
  const problem = troubled ? adapter.error || `the ${radioName(adapter.radio)} adapter gave no reason` : null;
  const facts = [
    adapter.port && `port ${adapter.port}`,
    adapter.firmware && `firmware ${adapter.firmware}`,
    `${adapter.devices ?? 0} devices`,
    `${adapter.queued ?? 0} jobs queued`,
  ].filter(Boolean);
  return { label: `${adapter.name}: ${status}`, problem, detail: facts.join(', ') };
}

/** `hardware/events/changed`. */
export interface ChangedEvent {
  device: string;
  cause: 'command' | 'report' | 'read' | 'register' | 'restore' | 'configure' | 'availability' | string;
  changes: JsonObject;
  state: JsonObject;
  /** With `register` and `configure`. */
  name?: string | null;
  config?: JsonObject;
  /** With `availability`: whether the device can be reached now (a plugin's device while its plugin runs). */
  available?: boolean;
}

/** `hardware/events/error`. */
export interface ErrorEvent {
  radio: string;
  device: string | null;
  code: string;
  message: string;
}

export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

/** A failed hardware request: the JSON object in the failed Response's error text. */
export class HardwareError extends Error {
  constructor(
    message: string,
    /** `invalid_payload`, `timeout`, ... or the host's code (`Timeout`, `Closed`) */
    readonly code: string,
    readonly field?: string,
    readonly rule?: string,
    readonly errors: FieldError[] = [],
    readonly device?: string,
  ) {
    super(message);
  }

  /** Every field the bridge complained about. */
  get fields(): string[] {
    const fields = this.errors.map((e) => e.field);
    if (this.field && !fields.includes(this.field)) fields.unshift(this.field);
    return fields;
  }

  /** One line for the page: the code, then every field's message (or the message). */
  describe(): string {
    const messages = this.errors.length > 1 ? this.errors.map((e) => e.message).join('; ') : this.message;
    return `${this.code}: ${messages}`;
  }
}

/** Reads a failed request: the bridge's JSON error, or the host's refusal as it is. */
export function hardwareError(e: unknown): HardwareError {
  if (e instanceof HardwareError) return e;
  if (e instanceof RequestError) {
    if (e.code === 'Failed') {
      try {
        const body = JSON.parse(e.message) as Partial<{
          code: unknown;
          message: unknown;
          field: unknown;
          rule: unknown;
          errors: unknown;
          device: unknown;
        }>;
        if (body && typeof body.code === 'string') {
          const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
          return new HardwareError(
            typeof body.message === 'string' ? body.message : body.code,
            body.code,
            typeof body.field === 'string' ? body.field : undefined,
            typeof body.rule === 'string' ? body.rule : undefined,
            errors,
            typeof body.device === 'string' ? body.device : undefined,
          );
        }
      } catch {
        // Not JSON: a game without the bridge's error format.
      }
    }
    return new HardwareError(e.message, e.code);
  }
  return new HardwareError(e instanceof Error ? e.message : String(e), 'error');
}

/** Sends a JSON request and resolves with the parsed answer; rejects with a `HardwareError`. */
export async function jsonRequest<T = unknown>(connection: Connection, channel: string, body: JsonObject = {}): Promise<T> {
  let text: string;
  try {
    text = contentText((await connection.request(channel, jsonContent(body))).content);
  } catch (e) {
    throw hardwareError(e);
  }
  return (text ? JSON.parse(text) : null) as T;
}

// ---------------------------------------------------------------------------
// Controls a device type gets

/** An on/off button for a boolean state field. */
export interface SwitchControl {
  kind: 'switch';
  field: string;
  /** Commands that set the field to true and to false (preferred: they cannot flip the wrong way). */
  on?: string;
  off?: string;
  /** Otherwise a command that flips it. */
  toggle?: string;
}

/** A slider for a numeric state field with a range, set by a command taking that field. */
export interface SliderControl {
  kind: 'slider';
  field: string;
  command: string;
  min: number;
  max: number;
  step: number;
  unit?: string;
}

/** A colour picker for a six-digit hex state field, set by a command taking that field. */
export interface ColorControl {
  kind: 'color';
  field: string;
  command: string;
}

/** A command without payload that no other control sends. */
export interface ButtonControl {
  kind: 'button';
  command: string;
  description?: string;
}

/** A form for a command with payload fields. */
export interface FormControl {
  kind: 'form';
  command: string;
  description?: string;
  fields: Fields;
}

export type Control = SwitchControl | SliderControl | ColorControl | ButtonControl | FormControl;

function payloadOf(spec: CommandSpec): Fields {
  return spec.payload ?? {};
}

/** The command's payload is exactly `field` plus optional extras. */
function setsField(spec: CommandSpec, field: string): boolean {
  const payload = payloadOf(spec);
  if (!payload[field]) return false;
  return Object.entries(payload).every(([name, rule]) => name === field || !rule.required);
}

/**
 * The controls for a registered device of this type: switches, sliders and
 * colour pickers for writable state fields a command can set, buttons for the
 * other commands without payload, and a form per command with payload (so
 * every payload field can be sent, extras such as `transition_ms` included).
 */
export function planControls(type: DeviceType): Control[] {
  const controls: Control[] = [];
  const covered = new Set<string>();
  const commands = Object.entries(type.commands);
  const noPayload = ([, spec]: [string, CommandSpec]) => Object.keys(payloadOf(spec)).length === 0;

  for (const [field, rule] of Object.entries(type.state)) {
    if (rule.read_only) continue;
    if (rule.type === 'boolean') {
      const on = commands.find((c) => noPayload(c) && c[1].effect?.[field] === true)?.[0];
      const off = commands.find((c) => noPayload(c) && c[1].effect?.[field] === false)?.[0];
      const toggle = commands.find((c) => noPayload(c) && c[1].toggle?.includes(field))?.[0];
      if (on && off) {
        controls.push({ kind: 'switch', field, on, off });
        covered.add(on).add(off);
        // A flip command would do the same as the switch.
        if (toggle) covered.add(toggle);
      } else if (toggle) {
        controls.push({ kind: 'switch', field, toggle });
        covered.add(toggle);
      }
    } else if ((rule.type === 'integer' || rule.type === 'number') && isFinite(rule.minimum) && isFinite(rule.maximum)) {
      const command = commands.find(([, spec]) => setsField(spec, field))?.[0];
      if (command) {
        const min = rule.minimum!;
        const max = rule.maximum!;
        const step = rule.type === 'integer' ? 1 : niceStep((max - min) / 100);
        controls.push({ kind: 'slider', field, command, min, max, step, unit: rule.unit });
      }
    } else if (rule.type === 'string' && rule.format === 'hex' && rule.length === 6) {
      const command = commands.find(([, spec]) => setsField(spec, field))?.[0];
      if (command) controls.push({ kind: 'color', field, command });
    }
  }
  for (const [command, spec] of commands) {
    if (covered.has(command)) continue;
    const fields = payloadOf(spec);
    if (Object.keys(fields).length === 0) controls.push({ kind: 'button', command, description: spec.description });
    else controls.push({ kind: 'form', command, description: spec.description, fields });
  }
  // Switches first, forms last; the type's order within each kind.
  const rank: Record<Control['kind'], number> = { switch: 0, slider: 1, color: 2, button: 3, form: 4 };
  return controls.map((c, i) => [c, i] as const).sort((a, b) => rank[a[0].kind] - rank[b[0].kind] || a[1] - b[1]).map(([c]) => c);
}

/** State fields in showing order: on/off fields first, then the type's order, then extras. */
export function stateOrder(type: DeviceType | undefined, state: JsonObject): string[] {
  const names = Object.keys(type?.state ?? {});
  for (const name of Object.keys(state)) if (!names.includes(name)) names.push(name);
  const boolean = (name: string) => (type?.state[name]?.type ?? typeof state[name]) === 'boolean';
  return [...names.filter(boolean), ...names.filter((n) => !boolean(n))];
}

const RADIOS: Record<string, string> = { zigbee: 'Zigbee', zwave: 'Z-Wave', wifi: 'Wi-Fi', bluetooth: 'Bluetooth', plugin: 'Plugin' };

export function radioName(radio: string): string {
  return RADIOS[radio] ?? radio;
}

function isFinite(n: number | undefined): boolean {
  return typeof n === 'number' && Number.isFinite(n);
}

function niceStep(raw: number): number {
  if (raw <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return Math.min(1, power);
}

/** Configuration fields a registration must fill in (required ones). */
export function requiredConfig(type: DeviceType): Fields {
  return Object.fromEntries(Object.entries(type.config).filter(([, rule]) => rule.required));
}

/**
 * A form value as the JSON the field wants: numbers for numeric fields when
 * the text is a number (otherwise the text as typed, so that the bridge
 * reports it), `undefined` for an empty optional field.
 */
export function fieldValue(rule: FieldRule, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  const text = raw.trim();
  if (text === '') return undefined;
  if (rule.type === 'integer' || rule.type === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (rule.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return raw;
}

// ---------------------------------------------------------------------------
// Showing values

const UNITS: Record<string, string> = {
  percent: '%',
  'degree celsius': '°C',
  watts: 'W',
  kilograms: 'kg',
  seconds: 's',
  milliseconds: 'ms',
};

export function unitSymbol(unit: string | undefined): string {
  return unit ? UNITS[unit] ?? unit : '';
}

/** A state value for people: `on`/`off` for booleans, numbers with their unit. */
export function formatValue(rule: FieldRule | undefined, value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    const unit = unitSymbol(rule?.unit);
    const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
    return unit ? `${text}${unit === '%' || unit.startsWith('°') ? '' : ' '}${unit}` : text;
  }
  if (value === '') return '—';
  if (typeof value === 'string') return rule?.format === 'hex' && rule.length === 6 ? `#${value}` : value;
  return JSON.stringify(value);
}

/** The label of a state field: its title, or the name with spaces. */
export function fieldTitle(name: string, rule: FieldRule | undefined): string {
  return rule?.title ?? name.replace(/_/g, ' ');
}

/** Applies a `changed` event to a device (a new object; the event's state is the whole state). */
export function applyChange(device: Device, event: ChangedEvent): Device {
  const next: Device = { ...device, state: { ...event.state } };
  if (event.name !== undefined) next.name = event.name;
  if (event.config !== undefined) next.config = { ...event.config };
  if (event.available !== undefined) next.available = event.available;
  // A device is registered (and attached) once it has been paired or restored.
  if (event.cause === 'register' || event.cause === 'restore') {
    next.registered = true;
    next.available = true;
  }
  return next;
}
