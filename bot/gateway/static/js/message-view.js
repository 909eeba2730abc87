// Renders one chat message as DOM nodes; shared by the shop widget and the staff console.
// Message = {id, sender, author, text, buttons: [{title, payload}], created_at}.

import { h, append, formatClock, formatFull } from './dom.js';

export const SENDERS = ['customer', 'bot', 'agent', 'seller', 'system'];

const ROLE_WORDS = { agent: '상담원', seller: '판매자' };

/** True for objects that look like a Message we can render. */
export function isMessage(value) {
  return Boolean(value && typeof value === 'object' && Number.isFinite(Number(value.id)) && typeof value.text === 'string');
}

/** Normalise a message from the server (ids as numbers, known sender, button list). */
export function normalizeMessage(raw) {
  const sender = SENDERS.includes(raw.sender) ? raw.sender : 'system';
  const buttons = Array.isArray(raw.buttons)
    ? raw.buttons.filter((b) => b && typeof b.title === 'string' && b.title.trim())
    : [];
  return { ...raw, id: Number(raw.id), sender, buttons };
}

/** Author line for agent/seller messages: "상담원 김하늘", "판매자 포근니트". */
export function staffAuthorLabel(message) {
  const role = ROLE_WORDS[message.sender] || '';
  const author = (message.author || '').trim();
  if (!author) return role;
  return role && !author.startsWith(role) ? `${role} ${author}` : author;
}

function timeNode(iso) {
  const clock = formatClock(iso);
  if (!clock) return null;
  return h('time', { class: 'msg-time', datetime: iso, title: formatFull(iso) }, clock);
}

function buttonsNode(message, { interactive, onButton }) {
  if (!message.buttons.length) return null;
  const group = h('div', { class: 'msg-buttons', role: 'group', 'aria-label': '빠른 답변' });
  for (const button of message.buttons) {
    const chip = h('button', { type: 'button', class: 'chip', disabled: !interactive }, button.title);
    if (interactive && onButton) chip.addEventListener('click', () => onButton(message, button, chip));
    group.append(chip);
  }
  return group;
}

/**
 * options.interactive: quick-reply chips are clickable (widget) or just shown (console).
 * options.onButton(message, button, chipNode): chip click handler.
 * options.authorFor(message): author line text or '' (defaults: agent/seller only).
 */
export function renderMessage(message, options = {}) {
  const { interactive = false, onButton = null, authorFor = null } = options;
  const node = h('div', {
    class: `msg msg--${message.sender}`,
    dataset: { id: String(message.id), sender: message.sender },
  });

  if (message.sender === 'system') {
    return append(node, [h('div', { class: 'msg-text' }, message.text), timeNode(message.created_at)]);
  }

  const author = authorFor ? authorFor(message) : ROLE_WORDS[message.sender] ? staffAuthorLabel(message) : '';
  if (author) node.append(h('div', { class: 'msg-author' }, author));
  return append(node, [
    h('div', { class: 'msg-row' },
      h('div', { class: 'msg-bubble' }, h('div', { class: 'msg-text' }, message.text)),
      timeNode(message.created_at)),
    buttonsNode(message, { interactive, onButton }),
  ]);
}

/** Disable every chip of a rendered message; mark the chosen one. */
export function disableButtons(node, chosenTitle = null) {
  const group = node.querySelector('.msg-buttons');
  if (!group) return;
  group.classList.add('is-used');
  for (const chip of group.querySelectorAll('button')) {
    chip.disabled = true;
    if (chosenTitle !== null && chip.textContent === chosenTitle) chip.classList.add('is-chosen');
  }
}
