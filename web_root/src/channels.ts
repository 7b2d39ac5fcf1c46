// The channel list: what the host has advertised, kept current on
// Advertise and Unadvertise.

import { Channel } from './protocol';

const DELIVERY: Record<Channel['delivery'], string> = {
  reliable: 'reliable',
  latest: 'latest',
};

const PUBLISHERS: Record<Channel['publishers'], string> = {
  agents: 'game',
  'clients-and-agents': 'game + clients',
};

export function renderChannels(body: HTMLTableSectionElement, count: HTMLElement, channels: Channel[]): void {
  const rows = channels.map((channel) => {
    const row = document.createElement('tr');
    row.dataset.channel = channel.name;
    row.dataset.channelId = String(channel.id);
    const cells = [
      String(channel.id),
      '',
      channel.encoding || 'raw',
      DELIVERY[channel.delivery],
      PUBLISHERS[channel.publishers],
    ];
    for (const text of cells) row.insertCell().textContent = text;
    row.cells[0]!.className = 'num';
    for (const i of [2, 3, 4]) row.cells[i]!.className = 'nowrap';
    // The name, with the description under it in smaller type.
    const name = document.createElement('div');
    name.className = 'mono';
    name.textContent = channel.name;
    const description = document.createElement('div');
    description.className = 'description';
    description.textContent = channel.description;
    row.cells[1]!.append(name, description);
    return row;
  });
  body.replaceChildren(...rows);
  count.textContent = String(channels.length);
}
