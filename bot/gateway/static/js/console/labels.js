// Korean labels and status grouping for tickets.

export const TABS = ['queued', 'assigned', 'done'];

export const TAB_LABELS = { queued: '대기', assigned: '진행 중', done: '완료' };

export const KIND_LABELS = {
  question: '문의',
  cancel_request: '취소 요청',
  address_request: '배송지 변경 요청',
  exchange: '교환',
  general: '일반',
};

export const TARGET_LABELS = { agent: '상담원', seller: '판매자' };

export const ROLE_LABELS = { agent: '상담원', seller: '판매자' };

/** Kinds of request a seller approves or rejects (an agent too, once the ticket has escalated). */
export const DECISION_KINDS = new Set(['cancel_request', 'address_request', 'exchange']);

const DONE_STATUSES = new Set(['resolved', 'closed', 'done', 'cancelled', 'canceled']);
const ASSIGNED_STATUSES = new Set(['assigned', 'in_progress']);

/** Which queue tab a ticket status belongs to. */
export function statusGroup(status) {
  if (DONE_STATUSES.has(status)) return 'done';
  if (ASSIGNED_STATUSES.has(status)) return 'assigned';
  return 'queued';
}

export function isDone(ticket) {
  return statusGroup(ticket && ticket.status) === 'done';
}

/** The ticket carries a request to approve or reject: the seller's, or the agents' after an escalation. */
export function hasDecision(ticket) {
  if (!ticket || !DECISION_KINDS.has(ticket.kind)) return false;
  return ticket.target === 'seller' || Boolean(ticket.escalated);
}

export function sameId(a, b) {
  return a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);
}
