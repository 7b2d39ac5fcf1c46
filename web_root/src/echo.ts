// The echo box: send text on `echo` and watch it come back.

import { Connection, describeError } from './connection';
import { DataMessage, contentText, textContent } from './protocol';

export const ECHO_CHANNEL = 'echo';

/** Most lines kept in the log. */
const MAX_LINES = 50;

export interface EchoElements {
  form: HTMLFormElement;
  input: HTMLInputElement;
  log: HTMLOListElement;
}

export class Echo {
  constructor(
    private readonly connection: Connection,
    private readonly el: EchoElements,
  ) {
    el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
  }

  /** Something arrived on `echo` (the game's copy of what we sent). */
  receive(message: DataMessage): void {
    this.line('received', contentText(message.content));
  }

  private send(): void {
    const text = this.el.input.value;
    if (!text) return;
    const channel = this.connection.channelByName(ECHO_CHANNEL);
    try {
      if (channel?.publishers === 'agents') {
        // Clients may not publish here: ask with a request instead.
        this.line('sent', text);
        this.connection
          .request(ECHO_CHANNEL, textContent(text))
          .then((response) => this.line('received', contentText(response.content)))
          .catch((e) => this.line('error', describeError(e)));
      } else {
        this.connection.publish(ECHO_CHANNEL, textContent(text));
        this.line('sent', text);
      }
      this.el.input.value = '';
    } catch (e) {
      this.line('error', describeError(e));
    }
  }

  private line(direction: 'sent' | 'received' | 'error', text: string): void {
    const item = document.createElement('li');
    item.dataset.direction = direction;
    const arrow = document.createElement('span');
    arrow.className = 'arrow';
    arrow.textContent = direction === 'sent' ? '→' : direction === 'received' ? '←' : '!';
    const body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    item.append(arrow, body);
    this.el.log.append(item);
    while (this.el.log.children.length > MAX_LINES) this.el.log.firstElementChild?.remove();
    this.el.log.scrollTop = this.el.log.scrollHeight;
  }
}
