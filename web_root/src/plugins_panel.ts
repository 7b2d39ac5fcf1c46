// The Plugins panel: installed plugin packages with their info.yml details,
// enabled state and buttons, the plugin's status and restarts, a
// configuration form built from config.yml, install by file upload, and the
// latest log lines (docs/packages.md, "The editor's Plugins panel"). The
// checks and shapes are in plugin_form.ts, the cards' pieces in
// plugin_card.ts.

import { Connection, describeError } from './connection';
import { FieldError, jsonRequest } from './hardware';
import {
  ResultState,
  actions,
  badge,
  button,
  details,
  heading,
  markFields,
  readForm,
  resultLine,
  setResult,
  settingsForm,
  textLine,
} from './plugin_card';
import {
  CONFIGURE_CHANNEL,
  DISABLE_CHANNEL,
  ENABLE_CHANNEL,
  INSPECT_CHANNEL,
  INSTALL_CHANNEL,
  InspectedPackage,
  Info,
  InstalledPackage,
  LIST_CHANNEL,
  LOGS_CHANNEL,
  LogBook,
  LogLine,
  PluginStatus,
  REMOVE_CHANNEL,
  STATUS_CHANNEL,
  Settings,
  checkForm,
  describeStatus,
  fieldMessages,
  formatUptime,
  installBody,
  listKey,
  packageError,
  pluginId,
} from './plugin_form';
import { DataMessage, contentJson } from './protocol';
import type { Welcome } from './protocol';

/** How often the list is read again, for changes made elsewhere (the command line, another editor). */
const LIST_REFRESH_MS = 5000;
/** How often the shown uptimes move on. */
const UPTIME_TICK_MS = 1000;
/** Log lines shown per plugin. */
const LOG_LINES_SHOWN = 12;

export interface PluginsElements {
  panel: HTMLElement;
  count: HTMLElement;
  file: HTMLInputElement;
  result: HTMLElement;
  pending: HTMLElement;
  list: HTMLElement;
}

/** A package chosen for upload, shown as a form until it is installed or dropped. */
interface Pending {
  name: string;
  bytes: Uint8Array;
  inspected: InspectedPackage;
  /** The installed version this one would replace (an upgrade keeps its settings). */
  installed: InstalledPackage | null;
}

export class PluginsPanel {
  private packages: InstalledPackage[] = [];
  private listed = '';
  private statuses = new Map<string, PluginStatus>();
  /** When the status stream and the list last spoke: uptimes are counted on from there. */
  private statusesAt = 0;
  private listedAt = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private logs = new LogBook();
  private pending: Pending | null = null;
  private maxMessageSize = Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly el: PluginsElements,
  ) {
    el.file.addEventListener('change', () => void this.upload());
  }

  /** The connection is up (again): read the list if the game manages packages. */
  async connected(welcome: Welcome): Promise<void> {
    this.stop();
    this.maxMessageSize = Number(welcome.limits.maxMessageSize) || Infinity;
    const available = this.connection.channelByName(LIST_CHANNEL) !== undefined;
    this.el.panel.dataset.available = String(available);
    this.el.file.disabled = !available;
    if (!available) {
      this.show('error', 'this game manages no plugin packages (it advertises no plugins/list; the demo needs --packages-dir DIR)');
      return;
    }
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), LIST_REFRESH_MS);
    // plugins/status is published on changes only, so the uptime is counted here in between.
    this.ticker = setInterval(() => this.packages.forEach((entry) => this.updateStatus(entry)), UPTIME_TICK_MS);
  }

  /** The connection dropped. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.ticker) clearInterval(this.ticker);
    this.timer = null;
    this.ticker = null;
  }

  /** Takes `plugins/status` and `plugins/logs` messages. */
  receive(channelName: string, message: DataMessage): boolean {
    if (channelName !== STATUS_CHANNEL && channelName !== LOGS_CHANNEL) return false;
    let body: unknown;
    try {
      body = contentJson(message.content);
    } catch {
      return true;
    }
    if (channelName === STATUS_CHANNEL) {
      if (!Array.isArray(body)) return true;
      this.statuses = new Map((body as PluginStatus[]).filter((s) => typeof s?.id === 'string').map((s) => [s.id, s]));
      this.statusesAt = Date.now();
      for (const entry of this.packages) this.updateStatus(entry);
    } else {
      const line = body as LogLine;
      this.logs.add(line);
      const entry = this.packages.find((p) => pluginId(p) === line?.plugin);
      if (entry) this.updateLogs(entry);
    }
    return true;
  }

  /** Reads `plugins/list`; rebuilds the cards only when something changed, so typing is not lost. */
  private async refresh(force = false): Promise<void> {
    if (!this.connection.connected) return;
    let packages: InstalledPackage[];
    try {
      packages = (await jsonRequest<{ packages: InstalledPackage[] }>(this.connection, LIST_CHANNEL, {})).packages ?? [];
    } catch (e) {
      this.show('error', `cannot list the plugins: ${describeError(e)}`);
      return;
    }
    const listed = listKey(packages);
    const changed = force || listed !== this.listed;
    this.listed = listed;
    this.packages = packages;
    this.listedAt = Date.now();
    if (!changed) {
      // Only the statuses moved: update them in place.
      for (const entry of packages) this.updateStatus(entry);
      return;
    }
    this.logs.keepOnly(new Set(packages.map(pluginId)));
    this.el.list.replaceChildren(...packages.map((entry) => this.card(entry)));
    this.el.count.textContent = String(packages.length);
  }

  // -------------------------------------------------------------------------
  // Installing

  private async upload(): Promise<void> {
    const file = this.el.file.files?.[0];
    if (!file) return;
    // The options line is added to the bytes; a little room for it.
    if (file.size + 4096 > this.maxMessageSize) {
      this.show('error', `${file.name} has ${file.size} bytes, more than this host takes in one message (${this.maxMessageSize})`);
      return;
    }
    this.show('pending', `reading ${file.name}`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      this.show('error', `cannot read ${file.name}: ${describeError(e)}`);
      return;
    }
    let inspected: InspectedPackage;
    try {
      inspected = await this.raw<InspectedPackage>(INSPECT_CHANNEL, bytes);
    } catch (e) {
      this.pending = null;
      this.el.pending.replaceChildren();
      this.show('error', `${file.name}: ${packageError(e).describe()}`);
      return;
    } finally {
      // The same file can be chosen again after a refusal.
      this.el.file.value = '';
    }
    const installed = this.packages.find((p) => p.package === inspected.info.package) ?? null;
    this.pending = { name: file.name, bytes, inspected, installed };
    this.el.pending.replaceChildren(this.installForm(this.pending));
    this.show(
      'ok',
      installed
        ? `${file.name}: ${inspected.info.name} ${inspected.info.version} upgrades the installed ${installed.version}; its settings are kept`
        : `${file.name}: ${inspected.info.name} ${inspected.info.version}; fill in its settings and install`,
    );
  }

  private installForm(pending: Pending): HTMLElement {
    const box = document.createElement('article');
    box.className = 'plugin pending';
    box.dataset.package = pending.inspected.info.package;
    const installed = pending.installed;
    const form = settingsForm(pending.inspected.config, installed?.configuration ?? {}, new Set(installed?.secrets_set ?? []));
    form.dataset.form = installed ? 'upgrade' : 'install';
    const install = button(installed ? `Upgrade from ${installed.version}` : 'Install', 'submit');
    install.dataset.action = 'install';
    const cancel = button('Cancel', 'button', 'small');
    cancel.addEventListener('click', () => {
      this.pending = null;
      this.el.pending.replaceChildren();
      this.show('ok', 'install cancelled');
    });
    form.append(actions(install, cancel));
    const result = resultLine();
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.install(pending, form, result, [install, cancel]);
    });
    box.append(heading(pending.inspected.info, []), ...details(pending.inspected.info), form, result);
    return box;
  }

  private async install(pending: Pending, form: HTMLFormElement, result: HTMLElement, buttons: HTMLButtonElement[]): Promise<void> {
    const installed = pending.installed;
    const stored = new Set([...Object.keys(installed?.configuration ?? {}), ...(installed?.secrets_set ?? [])]);
    const { configuration, errors } = checkForm(pending.inspected.config, readForm(form, pending.inspected.config), stored);
    if (!markFields(form, errors, result)) return;
    buttons.forEach((b) => (b.disabled = true));
    const doing = installed ? 'upgrading' : 'installing';
    setResult(result, 'pending', `${doing} ${pending.inspected.info.package}`);
    try {
      const answer = await this.raw<{ package: string; version: string; enabled: boolean }>(
        INSTALL_CHANNEL,
        installBody(configuration, pending.bytes, installed !== null),
      );
      this.pending = null;
      this.el.pending.replaceChildren();
      const done = installed ? `upgraded ${answer.package} from ${installed.version} to` : `installed ${answer.package}`;
      this.show('ok', `${done} ${answer.version}${answer.enabled ? ', enabled' : ''}`);
      await this.refresh(true);
    } catch (e) {
      this.refused(e, form, result);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  // -------------------------------------------------------------------------
  // Installed packages

  private card(entry: InstalledPackage): HTMLElement {
    const card = document.createElement('article');
    card.className = 'plugin';
    card.dataset.package = entry.package;
    card.dataset.enabled = String(entry.enabled);
    const info: Info = entry.info ?? { package: entry.package, name: entry.name, version: entry.version, abstract: '' };

    const status = document.createElement('span');
    status.className = 'plugin-status';
    status.dataset.role = 'status';
    const enabled = badge(entry.enabled ? 'enabled' : 'disabled', entry.enabled ? 'ok' : 'muted');
    enabled.dataset.role = 'enabled';

    const result = resultLine();
    const toggle = button(entry.enabled ? 'Disable' : 'Enable', 'button', 'small');
    toggle.dataset.action = entry.enabled ? 'disable' : 'enable';
    toggle.addEventListener('click', () =>
      void this.act(entry.enabled ? DISABLE_CHANNEL : ENABLE_CHANNEL, entry.package, result, entry.enabled ? 'disabled' : 'enabled'),
    );
    const remove = button('Remove', 'button', 'small danger');
    remove.dataset.action = 'remove';
    remove.addEventListener('click', () => {
      // A second click confirms: removing deletes the package's files.
      if (remove.dataset.confirm !== 'true') {
        remove.dataset.confirm = 'true';
        remove.textContent = 'Remove: sure?';
        return;
      }
      void this.act(REMOVE_CHANNEL, entry.package, result, 'removed');
    });

    card.append(heading(info, [enabled, status]), ...details(info));
    if (entry.problem) card.append(textLine(entry.problem, 'result', 'error'));
    card.append(actions(toggle, remove));
    if (entry.config && Object.keys(entry.config).length > 0) card.append(this.configForm(entry, result));
    card.append(result);

    const logTitle = document.createElement('h3');
    logTitle.textContent = 'Latest log lines';
    const log = document.createElement('ol');
    log.className = 'log plugin-log';
    log.dataset.role = 'log';
    card.append(logTitle, log);
    // Filled in after the card is in the list.
    queueMicrotask(() => {
      this.updateStatus(entry);
      this.updateLogs(entry);
    });
    return card;
  }

  private configForm(entry: InstalledPackage, result: HTMLElement): HTMLFormElement {
    const settings = entry.config ?? {};
    const stored = new Set([...Object.keys(entry.configuration), ...entry.secrets_set]);
    const form = settingsForm(settings, entry.configuration, new Set(entry.secrets_set));
    form.dataset.form = 'configure';
    const save = button('Save settings', 'submit', 'small');
    save.dataset.action = 'configure';
    form.append(actions(save));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.configure(entry.package, settings, stored, form, result, save);
    });
    return form;
  }

  private async configure(
    pkg: string,
    settings: Settings,
    stored: Set<string>,
    form: HTMLFormElement,
    result: HTMLElement,
    save: HTMLButtonElement,
  ): Promise<void> {
    const { configuration, errors } = checkForm(settings, readForm(form, settings), stored);
    if (!markFields(form, errors, result)) return;
    save.disabled = true;
    setResult(result, 'pending', `saving the settings of ${pkg}`);
    try {
      await jsonRequest(this.connection, CONFIGURE_CHANNEL, { package: pkg, configuration });
      // On the panel's line: the card is rebuilt from the new list.
      this.show('ok', `settings of ${pkg} saved`);
      setResult(result, 'ok', 'saved');
      // Typed secrets are not kept on the page.
      form.querySelectorAll<HTMLInputElement>('input[type="password"]').forEach((input) => (input.value = ''));
      await this.refresh();
    } catch (e) {
      this.refused(e, form, result);
    } finally {
      save.disabled = false;
    }
  }

  private async act(channel: string, pkg: string, result: HTMLElement, done: string): Promise<void> {
    setResult(result, 'pending', `${channel} ${pkg}`);
    try {
      const answer = await jsonRequest<{ warning?: string }>(this.connection, channel, { package: pkg });
      this.show('ok', `${pkg} ${done}${answer?.warning ? ` (${answer.warning})` : ''}`);
      await this.refresh(true);
    } catch (e) {
      setResult(result, 'error', packageError(e).describe());
    }
  }

  /** A refusal: every field it names marked beside its input, the rest on the result line. */
  private refused(e: unknown, form: HTMLFormElement, result: HTMLElement): void {
    const error = packageError(e);
    const messages = fieldMessages(error);
    const errors: FieldError[] = [...messages].map(([field, message]) => ({ field, rule: '', message }));
    markFields(form, errors, result);
    setResult(result, 'error', error.describe());
  }

  private updateStatus(entry: InstalledPackage): void {
    const card = this.cardOf(entry.package);
    const span = card?.querySelector<HTMLElement>('[data-role="status"]');
    if (!card || !span) return;
    // The stream is the newest word; the list's copy covers a plugin the stream has not named yet.
    const streamed = this.statuses.get(pluginId(entry));
    const status = streamed ?? entry.status ?? undefined;
    const since = streamed ? this.statusesAt : this.listedAt;
    card.dataset.state = status?.state ?? 'none';
    const facts = [describeStatus(status)];
    if (status) {
      facts.push(`restarts ${status.restarts}`);
      if (status.pid) facts.push(`pid ${status.pid}`);
      const up = formatUptime(typeof status.uptime_ms === 'number' ? status.uptime_ms + (Date.now() - since) : null);
      if (up) facts.push(`up ${up}`);
    }
    span.textContent = facts.join(' · ');
    span.dataset.state = status?.state ?? 'none';
    span.dataset.restarts = String(status?.restarts ?? 0);
  }

  private updateLogs(entry: InstalledPackage): void {
    const log = this.cardOf(entry.package)?.querySelector<HTMLOListElement>('[data-role="log"]');
    if (!log) return;
    const lines = this.logs.of(pluginId(entry)).slice(-LOG_LINES_SHOWN);
    log.replaceChildren(
      ...lines.map((l) => {
        const li = document.createElement('li');
        li.dataset.stream = l.stream;
        li.textContent = l.line;
        return li;
      }),
    );
  }

  private cardOf(pkg: string): HTMLElement | null {
    for (const card of this.el.list.querySelectorAll<HTMLElement>('article.plugin')) if (card.dataset.package === pkg) return card;
    return null;
  }

  /** A request whose body is bytes (a `.lamp` file), answered with JSON. */
  private async raw<T>(channel: string, body: Uint8Array): Promise<T> {
    const answer = await this.connection.request(channel, body);
    const text = new TextDecoder().decode(answer.content);
    return (text ? JSON.parse(text) : null) as T;
  }

  private show(state: ResultState, text: string): void {
    setResult(this.el.result, state, text);
  }
}
