// The ticket queue (left column): three tabs, rows updated live from the websocket.

import { h, append, clear, formatWaiting, formatDateTime, formatFull, describeDeadline, parseDate } from '../dom.js';
import { TABS, KIND_LABELS, TARGET_LABELS, statusGroup } from './labels.js';

const FRESH_MS = 120000; // how long a new ticket stays highlighted

const timeOf = (ticket) => {
  const date = parseDate(ticket.created_at);
  return date ? date.getTime() : 0;
};

export class QueueView {
  /**
   * els: list (#queue), empty, tabs (buttons with data-tab), counts ({tab: span}).
   * onSelect(id): a row was chosen. onCount(queuedCount): for the document title.
   */
  constructor(api, els, { onSelect, onCount = () => {} }) {
    this.api = api;
    this.els = els;
    this.onSelect = onSelect;
    this.onCount = onCount;
    this.tickets = new Map(); // String(id) -> TicketSummary
    this.fresh = new Map(); // String(id) -> timestamp when it arrived
    this.tab = 'queued';
    this.selectedId = null;
    this.loaded = false;
    this.bind();
    this.timer = setInterval(() => this.tick(), 20000);
    this.render();
  }

  bind() {
    for (const tab of this.els.tabs) {
      tab.addEventListener('click', () => this.showTab(tab.dataset.tab));
    }
    this.els.list.addEventListener('click', (event) => this.choose(event.target));
    this.els.list.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      this.choose(event.target);
    });
  }

  choose(target) {
    const row = target.closest('.ticket-row');
    if (row) this.onSelect(row.dataset.id);
  }

  reset() {
    this.tickets.clear();
    this.fresh.clear();
    this.selectedId = null;
    this.loaded = false;
    this.render();
  }

  /** Fetch all three tabs; tabs that fail keep what they showed. Returns an error or null. */
  async loadAll() {
    const results = await Promise.allSettled(
      TABS.map((status) => this.api.get(`/api/staff/tickets?status=${status}`)),
    );
    const next = new Map();
    let error = null;
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        for (const ticket of result.value.tickets || []) next.set(String(ticket.id), ticket);
        return;
      }
      error = error || result.reason;
      for (const [id, ticket] of this.tickets) {
        if (statusGroup(ticket.status) === TABS[index] && !next.has(id)) next.set(id, ticket);
      }
    });
    this.tickets = next;
    this.loaded = true;
    this.render();
    return error;
  }

  get(id) {
    return this.tickets.get(String(id)) || null;
  }

  /** New or changed ticket from the websocket or an action response. */
  upsert(ticket, { live = false } = {}) {
    if (!ticket || ticket.id === undefined || ticket.id === null) return;
    const key = String(ticket.id);
    const group = statusGroup(ticket.status);
    if (live && !this.tickets.has(key) && group !== 'done') this.fresh.set(key, Date.now());
    this.tickets.set(key, { ...this.tickets.get(key), ...ticket });
    // Follow the open ticket when the user's own action moves it (e.g. claimed -> 진행 중).
    if (!live && key === this.selectedId && group !== 'done') this.tab = group;
    this.render();
  }

  /** Keep the row preview in step with new messages. */
  touchLastMessage(id, text) {
    const ticket = this.get(id);
    if (!ticket || typeof text !== 'string') return;
    ticket.last_message = text;
    this.render();
  }

  select(id) {
    this.selectedId = id === null ? null : String(id);
    if (this.selectedId) this.fresh.delete(this.selectedId);
    const ticket = this.selectedId && this.get(this.selectedId);
    if (ticket && statusGroup(ticket.status) !== this.tab) this.tab = statusGroup(ticket.status);
    this.render();
  }

  showTab(tab) {
    if (!TABS.includes(tab)) return;
    this.tab = tab;
    this.render();
  }

  visibleTickets() {
    const list = [...this.tickets.values()].filter((t) => statusGroup(t.status) === this.tab);
    const direction = this.tab === 'done' ? -1 : 1; // waiting longest first; finished newest first
    return list.sort((a, b) => direction * (timeOf(a) - timeOf(b) || Number(a.id) - Number(b.id)));
  }

  render() {
    this.expireFresh();
    this.renderTabs();
    const { list, empty } = this.els;
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('.ticket-row');
    const focusedId = focused && list.contains(focused) ? focused.dataset.id : null;
    clear(list);
    const tickets = this.visibleTickets();
    for (const ticket of tickets) {
      const row = this.renderRow(ticket);
      list.append(row);
      if (row.dataset.id === focusedId) row.focus();
    }
    empty.hidden = tickets.length > 0;
    empty.textContent = this.loaded ? '해당하는 문의가 없어요.' : '문의 목록을 불러오고 있어요…';
  }

  renderTabs() {
    const counts = { queued: 0, assigned: 0, done: 0 };
    const freshTabs = new Set();
    for (const [id, ticket] of this.tickets) {
      const group = statusGroup(ticket.status);
      counts[group] += 1;
      if (this.fresh.has(id)) freshTabs.add(group);
    }
    for (const tab of this.els.tabs) {
      const name = tab.dataset.tab;
      const active = name === this.tab;
      tab.classList.toggle('is-active', active);
      tab.setAttribute('aria-selected', String(active));
      tab.classList.toggle('has-new', freshTabs.has(name) && !active);
      this.els.counts[name].textContent = String(counts[name]);
    }
    this.onCount(counts.queued);
  }

  renderRow(ticket) {
    const id = String(ticket.id);
    const classes = ['ticket-row', `ticket-row--${ticket.target || 'agent'}`];
    if (id === this.selectedId) classes.push('is-selected');
    if (this.fresh.has(id)) classes.push('is-new');
    const row = h('li', {
      class: classes.join(' '),
      dataset: { id },
      role: 'button',
      tabindex: '0',
      'aria-current': id === this.selectedId ? 'true' : null,
    });
    return append(row, [
      h('div', { class: 'row-top' },
        h('span', { class: 'row-reason' }, ticket.reason_label || ticket.reason || '문의'),
        h('span', { class: `row-target row-target--${ticket.target}` }, TARGET_LABELS[ticket.target] || ''),
        this.fresh.has(id) && h('span', { class: 'row-new' }, 'NEW'),
        h('span', { class: 'row-wait', title: formatFull(ticket.created_at) }, this.waitText(ticket))),
      h('div', { class: 'row-main' },
        h('span', { class: 'row-customer' }, ticket.customer_name || '비회원'),
        h('span', { class: 'row-order' }, ticket.order_id ? `주문 ${ticket.order_id}` : '주문 미지정'),
        ticket.kind && ticket.kind !== 'general' && h('span', { class: 'row-kind' }, KIND_LABELS[ticket.kind] || ticket.kind)),
      ticket.last_message && h('p', { class: 'row-last' }, ticket.last_message),
      h('div', { class: 'row-bottom' },
        h('span', { class: 'row-assignee' }, ticket.assignee ? `담당 ${ticket.assignee.display_name || '지정됨'}` : '미배정'),
        this.deadlineNode(ticket)),
    ]);
  }

  waitText(ticket) {
    return statusGroup(ticket.status) === 'done'
      ? formatDateTime(ticket.created_at)
      : formatWaiting(ticket.created_at);
  }

  deadlineNode(ticket) {
    if (ticket.target !== 'seller' || !ticket.deadline_at || statusGroup(ticket.status) === 'done') return null;
    const deadline = describeDeadline(ticket.deadline_at);
    if (!deadline) return null;
    const node = h('span', { class: 'row-deadline', title: `답변 기한 ${formatFull(ticket.deadline_at)}` });
    this.paintDeadline(node, deadline);
    return node;
  }

  paintDeadline(node, deadline) {
    node.textContent = `기한 ${deadline.text}`;
    node.classList.toggle('is-overdue', deadline.overdue);
    node.classList.toggle('is-soon', deadline.soon);
  }

  /** Live clock: refresh the time texts without rebuilding rows. */
  tick() {
    if (this.expireFresh()) {
      this.render();
      return;
    }
    for (const row of this.els.list.querySelectorAll('.ticket-row')) {
      const ticket = this.get(row.dataset.id);
      if (!ticket) continue;
      const wait = row.querySelector('.row-wait');
      if (wait) wait.textContent = this.waitText(ticket);
      const deadlineNode = row.querySelector('.row-deadline');
      const deadline = deadlineNode && describeDeadline(ticket.deadline_at);
      if (deadline) this.paintDeadline(deadlineNode, deadline);
    }
  }

  expireFresh() {
    let changed = false;
    const now = Date.now();
    for (const [id, since] of this.fresh) {
      if (now - since > FRESH_MS || !this.tickets.has(id)) {
        this.fresh.delete(id);
        changed = true;
      }
    }
    return changed;
  }
}

