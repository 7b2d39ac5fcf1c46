// The pieces of the Plugins panel's cards: the heading and info.yml details,
// the settings form built from config.yml (secret fields as password boxes
// that are never filled in), errors beside their fields, buttons and result
// lines. No requests here: src/plugins_panel.ts sends them.

import { FieldError, JsonObject, fieldTitle, unitSymbol } from './hardware';
import { Info, RawValues, SettingRule, Settings } from './plugin_form';

export type ResultState = 'ok' | 'error' | 'pending';

export function heading(info: Info, extras: HTMLElement[]): HTMLElement {
  const head = document.createElement('header');
  const name = document.createElement('strong');
  name.className = 'plugin-name';
  name.textContent = info.name;
  const version = textSpan(info.version, 'mono');
  version.dataset.role = 'version';
  head.append(name, version, textSpan(info.package, 'mono muted'), ...extras);
  return head;
}

/** The abstract, then authors, license and the links, each only when info.yml has it. */
export function details(info: Info): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (info.abstract) out.push(textLine(info.abstract, 'abstract'));
  if (info.description) {
    const more = document.createElement('details');
    more.className = 'plugin-description';
    const summary = document.createElement('summary');
    summary.textContent = 'description';
    more.append(summary, textLine(info.description, 'description'));
    out.push(more);
  }
  const list = document.createElement('dl');
  list.className = 'plugin-info';
  const add = (term: string, value: HTMLElement | string | undefined) => {
    if (!value) return;
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.dataset.info = term;
    dd.append(value);
    list.append(dt, dd);
  };
  add('authors', info.authors?.join(', '));
  add('license', info.license);
  add('website', link(info.website));
  add('repository', link(info.repository));
  add('email', info.email);
  if (list.children.length > 0) out.push(list);
  return out;
}

/** Only http(s) addresses become links (info.yml's rule, checked again here). */
export function link(url: string | undefined): HTMLElement | undefined {
  if (!url) return undefined;
  if (!/^https?:\/\//i.test(url)) return textSpan(url);
  const a = document.createElement('a');
  a.href = url;
  a.textContent = url;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

/** A form with one input per setting; secret ones are password boxes that are never filled in. */
export function settingsForm(settings: Settings, values: JsonObject, secretsSet: Set<string>): HTMLFormElement {
  const form = document.createElement('form');
  form.className = 'fields plugin-config';
  form.autocomplete = 'off';
  // The page's own checks and the host's refusals are shown instead of the browser's.
  form.noValidate = true;
  for (const [name, rule] of Object.entries(settings)) form.append(settingInput(name, rule, values[name], secretsSet.has(name)));
  return form;
}

export function settingInput(name: string, rule: SettingRule, value: unknown, secretSet: boolean): HTMLElement {
  const label = document.createElement('label');
  label.className = 'setting';
  const unit = unitSymbol(rule.unit);
  const caption = document.createElement('span');
  caption.textContent = `${rule.title ?? fieldTitle(name, rule)}${unit ? ` (${unit})` : ''}${rule.required ? ' *' : ''}`;
  let input: HTMLInputElement | HTMLSelectElement;
  if (rule.enum || rule.type === 'boolean') {
    const select = document.createElement('select');
    const options = rule.enum ?? [true, false];
    select.append(new Option('', ''));
    for (const option of options) select.append(new Option(String(option), String(option)));
    select.value = value === undefined ? (rule.default !== undefined ? String(rule.default) : '') : String(value);
    input = select;
  } else {
    const box = document.createElement('input');
    if (rule.secret) {
      box.type = 'password';
      box.autocomplete = 'new-password';
      box.placeholder = secretSet ? 'set (leave empty to keep)' : '';
    } else if (rule.type === 'integer' || rule.type === 'number') {
      // Text, not type=number: the browser would turn "12x" into "" and hide the mistake.
      box.inputMode = rule.type === 'integer' ? 'numeric' : 'decimal';
      box.placeholder = rule.default !== undefined ? String(rule.default) : rangeHint(rule);
    } else {
      box.placeholder = rule.default !== undefined ? String(rule.default) : '';
    }
    if (!rule.secret && value !== undefined && value !== null) box.value = String(value);
    input = box;
  }
  input.name = name;
  input.dataset.field = name;
  const hints = [rule.description, rangeHint(rule), rule.regex && `pattern ${rule.regex}`].filter(Boolean);
  if (hints.length > 0) input.title = hints.join('; ');
  const error = document.createElement('span');
  error.className = 'field-error';
  error.dataset.errorFor = name;
  error.setAttribute('aria-live', 'polite');
  label.append(caption, input, error);
  return label;
}

export function rangeHint(rule: SettingRule): string {
  if (rule.minimum !== undefined && rule.maximum !== undefined) return `${rule.minimum} to ${rule.maximum}`;
  if (rule.minimum !== undefined) return `at least ${rule.minimum}`;
  if (rule.maximum !== undefined) return `at most ${rule.maximum}`;
  return '';
}

export function readForm(form: HTMLFormElement, settings: Settings): RawValues {
  const raw: RawValues = {};
  for (const name of Object.keys(settings)) {
    const input = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-field="${CSS.escape(name)}"]`);
    if (input) raw[name] = input.value;
  }
  return raw;
}

/** Shows each error beside its field; true when there were none. */
export function markFields(form: HTMLFormElement, errors: FieldError[], result: HTMLElement): boolean {
  for (const span of form.querySelectorAll<HTMLElement>('.field-error')) span.textContent = '';
  form.querySelectorAll('[aria-invalid]').forEach((input) => input.removeAttribute('aria-invalid'));
  for (const error of errors) {
    const input = form.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
    const span = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(error.field)}"]`);
    input?.setAttribute('aria-invalid', 'true');
    if (span) span.textContent = error.rule && !error.message.includes('(rule:') ? `${error.message} (rule: ${error.rule})` : error.message;
  }
  if (errors.length > 0) setResult(result, 'error', `${errors.length === 1 ? 'a setting needs' : `${errors.length} settings need`} fixing`);
  return errors.length === 0;
}

export function actions(...buttons: HTMLButtonElement[]): HTMLElement {
  const row = document.createElement('div');
  row.className = 'row plugin-actions';
  row.append(...buttons);
  return row;
}

export function button(text: string, type: 'button' | 'submit', className?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = type;
  b.textContent = text;
  if (className) b.className = className;
  return b;
}

export function badge(text: string, tone: 'ok' | 'warn' | 'muted'): HTMLSpanElement {
  return textSpan(text, `badge ${tone}`);
}

export function resultLine(): HTMLElement {
  const p = textLine('', 'result');
  p.dataset.role = 'result';
  p.setAttribute('aria-live', 'polite');
  return p;
}

export function setResult(el: HTMLElement, state: ResultState, text: string): void {
  el.dataset.state = state;
  el.textContent = text;
}

export function textSpan(text: string, className?: string): HTMLSpanElement {
  const span = document.createElement('span');
  if (className) span.className = className;
  span.textContent = text;
  return span;
}

export function textLine(text: string, className: string, state?: ResultState): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = className;
  if (state) p.dataset.state = state;
  p.textContent = text;
  return p;
}
