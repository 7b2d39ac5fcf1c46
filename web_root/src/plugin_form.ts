// The Plugins panel's logic without the DOM: the shapes of the `plugins/*`
// answers (docs/packages.md, "Editor channels"), the checks the page can
// make itself before asking the host, reading the host's refusals, and
// matching `plugins/status` and `plugins/logs` to packages.

import { FieldError, FieldRule, HardwareError, JsonObject, fieldValue, hardwareError } from './hardware';

export const LIST_CHANNEL = 'plugins/list';
export const INSPECT_CHANNEL = 'plugins/inspect';
export const INSTALL_CHANNEL = 'plugins/install';
export const CONFIGURE_CHANNEL = 'plugins/configure';
export const ENABLE_CHANNEL = 'plugins/enable';
export const DISABLE_CHANNEL = 'plugins/disable';
export const REMOVE_CHANNEL = 'plugins/remove';
export const STATUS_CHANNEL = 'plugins/status';
export const LOGS_CHANNEL = 'plugins/logs';

/** Log lines kept per plugin; older ones drop off. */
export const LOG_LINES_KEPT = 50;

/** A configuration field of `config.yml`: the hardware bridge's field rules plus `secret`. */
export interface SettingRule extends FieldRule {
  secret?: boolean;
}

export type Settings = Record<string, SettingRule>;

/** `info.yml` as the host sends it. */
export interface Info {
  version: string;
  name: string;
  package: string;
  abstract: string;
  description?: string;
  repository?: string;
  website?: string;
  email?: string;
  license?: string;
  authors?: string[];
  id?: string | null;
  permissions?: string[];
}

/** One entry of `plugins/list`. */
export interface InstalledPackage {
  package: string;
  name: string;
  version: string;
  checksum: string;
  enabled: boolean;
  installed_at_ms: number;
  info: Info | null;
  /** The stored values, secret fields left out. */
  configuration: JsonObject;
  /** The secret fields that have a value. */
  secrets_set: string[];
  /** The installed config.yml's settings. */
  config?: Settings;
  /** Its plugin's `plugins/status` entry; null when nothing runs it. */
  status?: PluginStatus | null;
  problem?: string;
}

/** The answer of `plugins/inspect`: the form to show before installing. */
export interface InspectedPackage {
  info: Info;
  config: Settings;
  checksum: string;
}

/** One entry of `plugins/status`. */
export interface PluginStatus {
  id: string;
  state: 'starting' | 'running' | 'restarting' | 'failed' | 'stopped' | string;
  pid: number | null;
  restarts: number;
  uptime_ms: number | null;
  reason?: string;
  count?: number;
}

/** One message of `plugins/logs`. */
export interface LogLine {
  plugin: string;
  stream: string;
  line: string;
}

/**
 * The plugin id a package runs as (docs/packages.md, "Running installed
 * packages"): the status the host reports with the package when it has one,
 * else `id` in info.yml (the package name by default) in lowercase with
 * every character a plugin id may not hold turned into `-`.
 */
export function pluginId(entry: { package: string; info: Info | null; status?: PluginStatus | null }): string {
  if (typeof entry.status?.id === 'string') return entry.status.id;
  return (entry.info?.id || entry.package).toLowerCase().replace(/[^a-z0-9_-]/g, '-');
}

/** A list entry without what changes by itself (the status's uptime), to tell whether anything else changed. */
export function listKey(packages: InstalledPackage[]): string {
  return JSON.stringify(packages.map(({ status: _status, ...rest }) => rest));
}

/** The human label of a status: `running`, `restarting (2): exited with status 3`, ... */
export function describeStatus(status: PluginStatus | undefined): string {
  if (!status) return 'no process';
  const state = status.state.replace(/_/g, ' ');
  return status.reason ? `${state}: ${status.reason}` : state;
}

/** `1 h 02 min`, `3 min 04 s`, `12 s`. */
export function formatUptime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * What the page checks before sending: the type, required, range, length
 * and enum rules, with the host's rule names. Regex and format are left to
 * the host, whose regex dialect is not JavaScript's; the host checks
 * everything again anyway. `value` is what `fieldValue` made of the input.
 */
export function checkSetting(name: string, rule: SettingRule, value: unknown, required: boolean): FieldError | null {
  const error = (ruleName: string, message: string): FieldError => ({ field: name, rule: ruleName, message: `${name}: ${message}` });
  if (value === undefined) return required ? error('required', 'is required') : null;
  switch (rule.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return error('type', `${JSON.stringify(value)} is not an integer`);
      break;
    case 'number':
      if (typeof value !== 'number') return error('type', `${JSON.stringify(value)} is not a number`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return error('type', `${JSON.stringify(value)} is not true or false`);
      break;
    case 'string':
      if (typeof value !== 'string') return error('type', 'is not text');
      break;
  }
  if (typeof value === 'number') {
    if (typeof rule.minimum === 'number' && value < rule.minimum) return error('range', `${value} is below the minimum ${rule.minimum}`);
    if (typeof rule.maximum === 'number' && value > rule.maximum) return error('range', `${value} is above the maximum ${rule.maximum}`);
  }
  if (typeof value === 'string') {
    // Characters as the host counts them (Unicode scalar values), not UTF-16 units.
    const n = [...value].length;
    if (typeof rule.length === 'number' && n !== rule.length) return error('length', `has ${n} characters, needs exactly ${rule.length}`);
    if (typeof rule.min_length === 'number' && n < rule.min_length) return error('length', `has ${n} characters, needs at least ${rule.min_length}`);
    if (typeof rule.max_length === 'number' && n > rule.max_length) return error('length', `has ${n} characters, allows at most ${rule.max_length}`);
  }
  if (Array.isArray(rule.enum) && !rule.enum.some((allowed) => allowed === value)) {
    return error('enum', `${JSON.stringify(value)} is not one of ${rule.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return null;
}

/** What a form's inputs hold: text, or a checkbox's state. */
export type RawValues = Record<string, string | boolean>;

export interface FormCheck {
  /** The values to send: filled fields only (the host keeps or defaults the rest). */
  configuration: JsonObject;
  errors: FieldError[];
}

/**
 * Reads and checks a form. `stored` lists the fields the host already has
 * a value for (when configuring an installed package): a required field
 * left empty then keeps its value, which is how secret fields are never
 * shown back yet need not be typed again.
 */
export function checkForm(settings: Settings, raw: RawValues, stored: Set<string> = new Set()): FormCheck {
  const configuration: JsonObject = {};
  const errors: FieldError[] = [];
  for (const [name, rule] of Object.entries(settings)) {
    const input = raw[name];
    const value = input === undefined ? undefined : fieldValue(rule, input);
    const required = rule.required === true && !stored.has(name);
    const error = checkSetting(name, rule, value, required);
    if (error) errors.push(error);
    else if (value !== undefined) configuration[name] = value;
  }
  return { configuration, errors };
}

/** The body of `plugins/install`: one line of JSON options, a newline, then the `.lamp` bytes. */
export function installBody(configuration: JsonObject, lamp: Uint8Array, upgrade = false): Uint8Array {
  const options = new TextEncoder().encode(`${JSON.stringify({ configuration, upgrade })}\n`);
  const body = new Uint8Array(options.length + lamp.length);
  body.set(options, 0);
  body.set(lamp, options.length);
  return body;
}

/** A refusal of the package manager: its code and one entry per field it names. */
export function packageError(e: unknown): HardwareError {
  // Same error shape as the hardware bridge: {code, message, errors: [{field, rule, message?}]}.
  return hardwareError(e);
}

/** Each field's message from a refusal, by field name (a field's first message wins). */
export function fieldMessages(error: HardwareError): Map<string, string> {
  const messages = new Map<string, string>();
  for (const e of error.errors) {
    if (!e.field || messages.has(e.field)) continue;
    const text = e.message || `${e.field}: refused (rule: ${e.rule})`;
    messages.set(e.field, e.rule && !text.includes(`rule: ${e.rule}`) ? `${text} (rule: ${e.rule})` : text);
  }
  return messages;
}

/** Plugins whose lines are kept at most (a newcomer past this pushes out the oldest). */
const LOG_PLUGINS_KEPT = 100;

/** Latest log lines per plugin, bounded in lines and in plugins. */
export class LogBook {
  private lines = new Map<string, LogLine[]>();

  constructor(private readonly keep = LOG_LINES_KEPT) {}

  add(line: LogLine): void {
    if (typeof line?.plugin !== 'string' || typeof line.line !== 'string') return;
    const list = this.lines.get(line.plugin) ?? [];
    if (list.length === 0 && this.lines.size >= LOG_PLUGINS_KEPT) {
      const oldest = this.lines.keys().next().value;
      if (oldest !== undefined) this.lines.delete(oldest);
    }
    list.push(line);
    if (list.length > this.keep) list.splice(0, list.length - this.keep);
    this.lines.set(line.plugin, list);
  }

  of(plugin: string): LogLine[] {
    return this.lines.get(plugin) ?? [];
  }

  /** Forgets plugins no longer installed, so the book stays bounded by what is installed. */
  keepOnly(plugins: Set<string>): void {
    for (const plugin of [...this.lines.keys()]) if (!plugins.has(plugin)) this.lines.delete(plugin);
  }
}
