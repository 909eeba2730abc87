// Small DOM and formatting helpers shared by the shop widget and the staff console.
// Nothing here parses HTML: every piece of text ends up in a text node.

/**
 * Create an element. props: class, text, dataset, on<event> handlers, other attributes.
 * Children may be nodes, strings/numbers (become text nodes), arrays, or null/false (skipped).
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Append children (see h) to a node. */
export function append(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Remove all children of a node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Parse an ISO timestamp; null when missing or invalid. */
export function parseDate(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

const pad2 = (n) => String(n).padStart(2, '0');

/** "14:05" in the browser's local time. */
export function formatClock(iso) {
  const date = parseDate(iso);
  return date ? `${pad2(date.getHours())}:${pad2(date.getMinutes())}` : '';
}

/** "11월 26일 14:05" in local time. */
export function formatDateTime(iso) {
  const date = parseDate(iso);
  if (!date) return '';
  return `${date.getMonth() + 1}월 ${date.getDate()}일 ${formatClock(iso)}`;
}

/** Full, unambiguous local date and time, for tooltips. */
export function formatFull(iso) {
  const date = parseDate(iso);
  return date ? date.toLocaleString('ko-KR') : '';
}

/** Human duration in Korean: "1분 미만", "3분", "2시간 5분", "3일". */
export function formatDuration(ms) {
  const minutes = Math.floor(Math.max(0, ms) / 60000);
  if (minutes < 1) return '1분 미만';
  if (minutes < 60) return `${minutes}분`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}시간 ${minutes % 60}분` : `${hours}시간`;
  return `${Math.floor(hours / 24)}일`;
}

/** "3분 대기" style elapsed time since an ISO timestamp. */
export function formatWaiting(iso, now = Date.now()) {
  const date = parseDate(iso);
  return date ? `${formatDuration(now - date.getTime())} 대기` : '';
}

/** "5시간 남음" or "2시간 초과" for a deadline; overdue flag for styling. */
export function describeDeadline(iso, now = Date.now()) {
  const date = parseDate(iso);
  if (!date) return null;
  const diff = date.getTime() - now;
  return diff >= 0
    ? { text: `${formatDuration(diff)} 남음`, overdue: false, soon: diff < 3 * 3600000 }
    : { text: `${formatDuration(-diff)} 초과`, overdue: true, soon: false };
}

/** 39900 -> "39,900원". */
export function formatWon(amount) {
  const value = Number(amount);
  return Number.isFinite(value) ? `${value.toLocaleString('ko-KR')}원` : '';
}

/** True when Enter should send: not Shift+Enter and not while a Korean IME is composing. */
export function isSendKey(event) {
  return event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229;
}

/** Grow a textarea with its content up to max-height set in CSS. */
export function autoGrow(textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight}px`;
}
