// Small transient notifications ("toasts") in a shared live region.

import { h } from './dom.js';

function region() {
  let node = document.getElementById('toast-region');
  if (!node) {
    node = h('div', { id: 'toast-region', class: 'toast-region', role: 'status', 'aria-live': 'polite' });
    document.body.append(node);
  }
  return node;
}

/** type: 'info' | 'success' | 'error'. */
export function showToast(message, { type = 'info', duration = 3500 } = {}) {
  const toast = h('div', { class: `toast toast--${type}` }, message);
  region().append(toast);
  setTimeout(() => {
    toast.classList.add('is-leaving');
    setTimeout(() => toast.remove(), 250);
  }, type === 'error' ? Math.max(duration, 5000) : duration);
  return toast;
}
