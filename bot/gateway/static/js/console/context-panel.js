// The right column: who the customer is, the order and shipment, what the bot understood.

import { h, append, clear, formatDateTime, formatFull, formatWon, describeDeadline, parseDate } from '../dom.js';
import { KIND_LABELS, TARGET_LABELS } from './labels.js';

function section(title, ...children) {
  return append(h('section', { class: 'ctx-section' }, h('h3', { class: 'ctx-title' }, title)), children);
}

/** rows: [[label, value-or-node], ...]; empty values are skipped. */
function definitionList(rows) {
  const list = h('dl', { class: 'ctx-dl' });
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === '') continue;
    list.append(h('dt', null, label), h('dd', null, value));
  }
  return list;
}

function muted(text) {
  return h('p', { class: 'ctx-muted' }, text);
}

function slotValue(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function ticketSection(ticket) {
  const deadline = ticket.deadline_at ? describeDeadline(ticket.deadline_at) : null;
  return section('문의 정보', definitionList([
    ['문의 번호', `#${ticket.id}`],
    ['대상', TARGET_LABELS[ticket.target] || ticket.target],
    ['유형', KIND_LABELS[ticket.kind] || ticket.kind],
    ['사유', ticket.reason_label || ticket.reason],
    ['상태', ticket.status_label],
    ['접수', h('time', { datetime: ticket.created_at, title: formatFull(ticket.created_at) }, formatDateTime(ticket.created_at))],
    ['답변 기한', deadline && h('span', { class: deadline.overdue ? 'is-overdue' : '' }, `${formatDateTime(ticket.deadline_at)} (${deadline.text})`)],
    ['담당', ticket.assignee ? ticket.assignee.display_name || '지정됨' : '미배정'],
  ]));
}

function customerSection(context) {
  if (context.customer) {
    return section('고객', definitionList([
      ['이름', context.customer.name],
      ['회원 ID', String(context.customer.id)],
    ]));
  }
  return section('고객', muted(context.guest
    ? '비회원 고객이에요. 주문번호와 휴대폰 번호로 본인 확인을 거쳤어요.'
    : '고객 정보가 없어요.'));
}

function itemsList(items) {
  if (!Array.isArray(items) || !items.length) return null;
  return append(h('ul', { class: 'ctx-items' }),
    items.map((item) => h('li', null, `${item.name} × ${item.quantity}`)));
}

function shipmentBlock(shipment) {
  if (!shipment) return muted('아직 배송 정보가 없어요.');
  const events = Array.isArray(shipment.events) ? [...shipment.events] : [];
  events.sort((a, b) => (parseDate(b.occurred_at) || 0) - (parseDate(a.occurred_at) || 0));
  return h('div', { class: 'ctx-shipment' },
    definitionList([
      ['택배사', shipment.carrier],
      ['송장번호', shipment.tracking_number],
    ]),
    events.length
      ? append(h('ol', { class: 'ctx-events' }), events.map((event) => h('li', null,
        h('time', { datetime: event.occurred_at }, formatDateTime(event.occurred_at)),
        h('span', { class: 'ctx-event-text' }, [event.location, event.description].filter(Boolean).join(' · ')))))
      : muted('배송 추적 기록이 아직 없어요.'));
}

function orderSection(order) {
  if (!order) return section('주문', muted('연결된 주문이 없어요.'));
  return section('주문',
    definitionList([
      ['주문번호', order.id],
      ['상태', h('span', { class: 'ctx-badge' }, order.status_label || order.status)],
      ['결제 금액', formatWon(order.amount)],
      ['주문일', formatDateTime(order.ordered_at)],
    ]),
    itemsList(order.items),
    h('h4', { class: 'ctx-subtitle' }, '배송'),
    shipmentBlock(order.shipment));
}

function slotsTable(slots) {
  const entries = Object.entries(slots || {});
  if (!entries.length) return muted('채워진 슬롯이 없어요.');
  const body = h('tbody');
  for (const [key, value] of entries) body.append(h('tr', null, h('th', { scope: 'row' }, key), h('td', null, slotValue(value))));
  return h('table', { class: 'ctx-slots' }, body);
}

function botSection(context) {
  const intent = context.intent;
  const confidence = intent && Number.isFinite(Number(intent.confidence))
    ? ` (${Math.round(Number(intent.confidence) * 100)}%)` : '';
  return section('챗봇 분석',
    definitionList([['의도', intent ? `${intent.name}${confidence}` : '—']]),
    context.reason_text && h('div', { class: 'ctx-reason' },
      h('span', { class: 'ctx-reason-label' }, '연결 사유'),
      h('p', { class: 'ctx-reason-text' }, context.reason_text)),
    h('h4', { class: 'ctx-subtitle' }, '슬롯'),
    slotsTable(context.slots));
}

/** Render the context of one ticket detail ({ticket, context}) into the panel. */
export function renderContext(container, { ticket, context }) {
  clear(container);
  const ctx = context || {};
  append(container, [
    ticketSection(ticket),
    customerSection(ctx),
    orderSection(ctx.order),
    botSection(ctx),
  ]);
}

export function renderContextPlaceholder(container, text) {
  clear(container);
  container.append(h('p', { class: 'ctx-placeholder' }, text));
}
