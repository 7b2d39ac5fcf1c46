// One row of the Devices panel: a device's name, radio, type, status and
// state, and its controls, built from its type by `planControls` (switches,
// sliders, colour pickers, buttons, command forms) or, for a device not yet
// registered, a registration form asking for the required configuration.

import { Connection } from './connection';
import {
  COMMAND_CHANNEL,
  Control,
  Device,
  DeviceType,
  FieldRule,
  Fields,
  HardwareError,
  JsonObject,
  REGISTER_CHANNEL,
  fieldTitle,
  fieldValue,
  formatValue,
  hardwareError,
  jsonRequest,
  planControls,
  radioName,
  requiredConfig,
  stateOrder,
  unitSymbol,
} from './hardware';

export type ResultState = 'ok' | 'error' | 'pending';

/** What a row needs from the panel. */
export interface RowHost {
  readonly connection: Connection;
  /** A command's answer or a registration: the device's newest known form. */
  updated(device: Device): void;
  device(id: string): Device | undefined;
}

interface SliderParts {
  field: string;
  input: HTMLInputElement;
  output: HTMLOutputElement;
  unit: string;
  /** Being dragged, or its command not yet answered: events must not move it. */
  busy: boolean;
}

/** One device's row: name, radio, type, status, state and its controls. */
export class DeviceRow {
  readonly element: HTMLTableRowElement;
  private readonly nameCell: HTMLTableCellElement;
  private readonly radioCell: HTMLTableCellElement;
  private readonly typeCell: HTMLTableCellElement;
  private readonly statusCell: HTMLTableCellElement;
  private readonly stateCell: HTMLTableCellElement;
  private readonly controls: HTMLDivElement;
  private readonly result: HTMLParagraphElement;
  /** What the controls were built for; rebuilt when it changes. */
  private controlsKey = '';
  private switches: { field: string; button: HTMLButtonElement }[] = [];
  private sliders: SliderParts[] = [];
  private colors: { field: string; input: HTMLInputElement }[] = [];
  private flashTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly host: RowHost,
    private readonly id: string,
  ) {
    const row = document.createElement('tr');
    row.dataset.deviceId = id;
    this.element = row;
    this.nameCell = row.insertCell();
    this.radioCell = row.insertCell();
    this.typeCell = row.insertCell();
    this.statusCell = row.insertCell();
    this.stateCell = row.insertCell();
    this.stateCell.className = 'state';
    this.stateCell.dataset.testid = 'device-state';
    const controlsCell = row.insertCell();
    controlsCell.className = 'controls';
    this.controls = document.createElement('div');
    this.controls.className = 'control-row';
    this.result = document.createElement('p');
    this.result.className = 'result';
    this.result.dataset.testid = 'device-result';
    this.result.setAttribute('aria-live', 'polite');
    controlsCell.append(this.controls, this.result);
  }

  render(device: Device, type: DeviceType | undefined, changes?: string[]): void {
    const row = this.element;
    row.dataset.type = device.type;
    row.dataset.radio = device.radio;
    row.dataset.registered = String(device.registered);
    row.dataset.available = String(device.available);

    const name = document.createElement('div');
    name.className = 'device-name';
    name.dataset.testid = 'device-name';
    // Unregistered devices have no name yet: their type, greyed.
    name.textContent = device.name ?? device.type_name ?? device.type;
    name.classList.toggle('unnamed', device.name === null);
    const id = document.createElement('div');
    id.className = 'mono description nowrap';
    id.textContent = device.id;
    this.nameCell.replaceChildren(name, id);
    setText(this.radioCell, radioName(device.radio));
    setText(this.typeCell, device.type_name ?? type?.name ?? device.type);
    this.typeCell.title = [device.type, device.manufacturer, device.model].filter(Boolean).join(' · ');

    const badges = [badge(device.registered ? 'registered' : 'discovered', device.registered ? 'ok' : 'muted')];
    if (!device.available) badges.push(badge('unavailable', 'warn'));
    this.statusCell.replaceChildren(...badges);

    this.renderState(device, type, changes ?? []);

    const key = `${type ? type.id : '?'}|${device.registered}`;
    if (key !== this.controlsKey) {
      this.controlsKey = key;
      this.buildControls(device, type);
    }
    this.syncControls(device);
  }

  showResult(state: ResultState, text: string): void {
    this.result.dataset.state = state;
    this.result.textContent = text;
  }

  // -------------------------------------------------------------------------

  private renderState(device: Device, type: DeviceType | undefined, changes: string[]): void {
    const chips = stateOrder(type, device.state)
      .filter((name) => device.state[name] !== undefined)
      .map((name) => {
        const rule = type?.state[name];
        const value = device.state[name];
        const chip = document.createElement('span');
        chip.className = 'field';
        chip.dataset.stateField = name;
        chip.dataset.value = typeof value === 'string' ? value : JSON.stringify(value);
        const title = fieldTitle(name, rule);
        const shown = document.createElement('span');
        shown.className = 'field-value';
        shown.textContent = formatValue(rule, value);
        if (typeof value === 'boolean') shown.dataset.on = String(value);
        chip.title = `${name}: ${JSON.stringify(value)}`;
        // "On: on" says it twice; an on/off field called "on" shows only its value.
        if (typeof value === 'boolean' && title.toLowerCase() === 'on') {
          chip.append(shown);
        } else {
          const label = document.createElement('span');
          label.className = 'field-name';
          label.textContent = title;
          chip.append(label, shown);
        }
        if (rule?.format === 'hex' && typeof value === 'string' && value.length === 6) {
          const swatch = document.createElement('span');
          swatch.className = 'swatch';
          swatch.style.background = `#${value}`;
          chip.append(swatch);
        }
        if (changes.includes(name)) this.flash(chip, name);
        else if (this.flashTimers.has(name)) chip.classList.add('changed');
        return chip;
      });
    if (chips.length === 0) {
      const none = document.createElement('span');
      none.className = 'description';
      none.textContent = device.registered ? 'no state yet' : 'register to read state';
      chips.push(none);
    }
    this.stateCell.replaceChildren(...chips);
  }

  /** Marks a chip for a moment after its value changed. */
  private flash(chip: HTMLElement, name: string): void {
    chip.classList.add('changed');
    const old = this.flashTimers.get(name);
    if (old) clearTimeout(old);
    this.flashTimers.set(
      name,
      setTimeout(() => {
        this.flashTimers.delete(name);
        this.stateCell.querySelector(`[data-state-field="${CSS.escape(name)}"]`)?.classList.remove('changed');
      }, 1500),
    );
  }

  private buildControls(device: Device, type: DeviceType | undefined): void {
    this.switches = [];
    this.sliders = [];
    this.colors = [];
    if (!type) {
      this.controls.replaceChildren(textDiv(`type ${JSON.stringify(device.type)} is not loaded`, 'description'));
      return;
    }
    if (!device.registered) {
      this.controls.replaceChildren(this.registerForm(device, type));
      return;
    }
    const inline: HTMLElement[] = [];
    const forms: HTMLElement[] = [];
    for (const control of planControls(type)) {
      const element = this.control(control, type);
      (control.kind === 'form' ? forms : inline).push(element);
    }
    if (forms.length > 0) {
      const details = document.createElement('details');
      details.className = 'commands';
      details.dataset.testid = 'commands';
      const summary = document.createElement('summary');
      summary.textContent = 'commands';
      details.append(summary, ...forms);
      inline.push(details);
    }
    this.controls.replaceChildren(...inline);
  }

  private control(control: Control, type: DeviceType): HTMLElement {
    switch (control.kind) {
      case 'switch': {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'switch';
        button.dataset.testid = 'toggle';
        button.dataset.field = control.field;
        button.addEventListener('click', () => {
          const on = this.host.device(this.id)?.state[control.field] === true;
          const command = control.toggle ?? (on ? control.off! : control.on!);
          void this.send(command, {}, [button]);
        });
        this.switches.push({ field: control.field, button });
        return button;
      }
      case 'slider': {
        const label = document.createElement('label');
        label.className = 'slider';
        const title = document.createElement('span');
        title.textContent = fieldTitle(control.field, type.state[control.field]);
        const input = document.createElement('input');
        input.type = 'range';
        input.min = String(control.min);
        input.max = String(control.max);
        input.step = String(control.step);
        input.dataset.testid = 'slider';
        input.dataset.field = control.field;
        input.dataset.command = control.command;
        const output = document.createElement('output');
        const parts: SliderParts = { field: control.field, input, output, unit: unitSymbol(control.unit), busy: false };
        input.addEventListener('input', () => {
          parts.busy = true;
          output.textContent = `${input.value}${parts.unit}`;
        });
        input.addEventListener('change', () => {
          parts.busy = true;
          void this.send(control.command, { [control.field]: Number(input.value) }, []).finally(() => {
            parts.busy = false;
            const device = this.host.device(this.id);
            if (device) this.syncControls(device);
          });
        });
        label.append(title, input, output);
        this.sliders.push(parts);
        return label;
      }
      case 'color': {
        const label = document.createElement('label');
        label.className = 'color';
        const title = document.createElement('span');
        title.textContent = fieldTitle(control.field, type.state[control.field]);
        const input = document.createElement('input');
        input.type = 'color';
        input.dataset.testid = 'color';
        input.dataset.field = control.field;
        input.addEventListener('change', () => void this.send(control.command, { [control.field]: input.value.slice(1) }, []));
        label.append(title, input);
        this.colors.push({ field: control.field, input });
        return label;
      }
      case 'button': {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'small';
        button.dataset.testid = 'command';
        button.dataset.command = control.command;
        button.textContent = control.command.replace(/_/g, ' ');
        if (control.description) button.title = control.description;
        button.addEventListener('click', () => void this.send(control.command, {}, [button]));
        return button;
      }
      case 'form':
        return this.commandForm(control.command, control.fields, control.description);
    }
  }

  /** A form with one input per payload field; the bridge validates what it sends. */
  private commandForm(command: string, fields: Fields, description?: string): HTMLFormElement {
    const form = fieldsForm(fields);
    form.dataset.command = command;
    const button = submitButton(command.replace(/_/g, ' '));
    button.dataset.testid = 'send-command';
    if (description) button.title = description;
    form.append(button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send(command, readFields(form, fields), [button], form);
    });
    return form;
  }

  private registerForm(device: Device, type: DeviceType): HTMLFormElement {
    const fields: Fields = { name: { type: 'string', title: 'name' }, ...requiredConfig(type) };
    const form = fieldsForm(fields);
    form.classList.add('register');
    const name = form.querySelector<HTMLInputElement>('[data-field="name"]');
    if (name) name.placeholder = `${type.name} ${device.address.replace(/:/g, '').slice(-4)}`;
    const button = submitButton('register');
    button.dataset.testid = 'register';
    form.append(button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const values = readFields(form, fields);
      const { name: chosen, ...config } = values;
      const body: JsonObject = { device: this.id };
      if (chosen !== undefined) body.name = chosen;
      if (Object.keys(config).length > 0) body.config = config;
      void this.request(REGISTER_CHANNEL, body, 'register', [button], form).then((answer) => {
        const registered = (answer as { device?: Device } | null)?.device;
        if (registered) this.host.updated(registered);
      });
    });
    return form;
  }

  /** Sends a command; the answer's state is shown at once (the `changed` event follows). */
  private async send(command: string, payload: JsonObject, buttons: HTMLButtonElement[], form?: HTMLFormElement): Promise<void> {
    const body: JsonObject = { device: this.id, command };
    if (Object.keys(payload).length > 0) body.payload = payload;
    const answer = (await this.request(COMMAND_CHANNEL, body, describeCommand(command, payload), buttons, form)) as {
      state?: JsonObject;
    } | null;
    const device = this.host.device(this.id);
    if (answer?.state && device) this.host.updated({ ...device, state: answer.state });
  }

  /** One request with the row's result line; resolves with the answer, or null when it failed. */
  private async request(
    channel: string,
    body: JsonObject,
    what: string,
    buttons: HTMLButtonElement[],
    form?: HTMLFormElement,
  ): Promise<unknown> {
    for (const b of buttons) b.disabled = true;
    this.controls.querySelectorAll('[aria-invalid]').forEach((input) => input.removeAttribute('aria-invalid'));
    this.showResult('pending', `${what}…`);
    try {
      const answer = await jsonRequest(this.host.connection, channel, body);
      this.showResult('ok', `${what}: done`);
      return answer;
    } catch (e) {
      const error: HardwareError = hardwareError(e);
      this.showResult('error', error.describe());
      for (const field of error.fields) {
        const input = form?.querySelector(`[data-field="${CSS.escape(field)}"]`);
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          (input as HTMLElement).title = error.errors.find((x) => x.field === field)?.message ?? error.message;
        }
      }
      return null;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  /** Puts the controls in step with the device's state (unless the user is moving them). */
  private syncControls(device: Device): void {
    for (const { field, button } of this.switches) {
      const on = device.state[field] === true;
      button.setAttribute('aria-pressed', String(on));
      button.dataset.on = String(on);
      setText(button, on ? 'turn off' : 'turn on');
    }
    for (const slider of this.sliders) {
      const value = device.state[slider.field];
      if (typeof value !== 'number' || slider.busy) continue;
      slider.input.value = String(value);
      setText(slider.output, `${value}${slider.unit}`);
    }
    for (const { field, input } of this.colors) {
      const value = device.state[field];
      if (typeof value === 'string' && /^[0-9a-fA-F]{6}$/.test(value) && document.activeElement !== input) {
        input.value = `#${value.toLowerCase()}`;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Forms from field rules

function fieldsForm(fields: Fields): HTMLFormElement {
  const form = document.createElement('form');
  form.className = 'row fields';
  form.autocomplete = 'off';
  // The bridge's validation is the one that counts, and its messages are shown.
  form.noValidate = true;
  for (const [name, rule] of Object.entries(fields)) form.append(fieldInput(name, rule));
  return form;
}

function fieldInput(name: string, rule: FieldRule): HTMLLabelElement {
  const label = document.createElement('label');
  const unit = unitSymbol(rule.unit);
  // `transition_ms` in milliseconds reads "transition (ms)", not "transition ms (ms)".
  const title = rule.title ?? fieldTitle(unit ? name.replace(new RegExp(`_${unit}$`), '') : name, rule);
  label.textContent = `${title}${unit ? ` (${unit})` : ''}${rule.required ? ' *' : ''}`;
  let input: HTMLInputElement | HTMLSelectElement;
  if (rule.enum || rule.type === 'boolean') {
    const select = document.createElement('select');
    const options = rule.enum ?? [true, false];
    if (!rule.required) select.append(new Option('', ''));
    for (const value of options) select.append(new Option(String(value), String(value)));
    input = select;
  } else {
    const text = document.createElement('input');
    if (rule.type === 'integer' || rule.type === 'number') {
      text.type = 'number';
      text.step = rule.type === 'integer' ? '1' : 'any';
      if (rule.minimum !== undefined) text.min = String(rule.minimum);
      if (rule.maximum !== undefined) text.max = String(rule.maximum);
    } else {
      text.placeholder = rule.description ?? '';
    }
    input = text;
  }
  input.name = name;
  input.dataset.field = name;
  if (rule.description) input.title = rule.description;
  label.append(input);
  return label;
}

function readFields(form: HTMLFormElement, fields: Fields): JsonObject {
  const values: JsonObject = {};
  for (const [name, rule] of Object.entries(fields)) {
    const input = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-field="${CSS.escape(name)}"]`);
    if (!input) continue;
    // An enum's options are strings; numbers and booleans go back as such.
    const raw = input.value;
    const option = rule.enum?.find((v) => String(v) === raw);
    const value = option !== undefined ? option : fieldValue(rule, raw);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** `set_brightness {"brightness":40}`, or just `turn_on`. */
function describeCommand(command: string, payload: JsonObject): string {
  return Object.keys(payload).length > 0 ? `${command} ${JSON.stringify(payload)}` : command;
}

function submitButton(text: string): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'submit';
  button.className = 'small';
  button.textContent = text;
  return button;
}

function badge(text: string, tone: 'ok' | 'warn' | 'muted'): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `badge ${tone}`;
  span.textContent = text;
  return span;
}

function textDiv(text: string, className?: string): HTMLDivElement {
  const div = document.createElement('div');
  if (className) div.className = className;
  div.textContent = text;
  return div;
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
