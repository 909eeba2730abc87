// Demo login bar of the shop page: pick a demo customer or browse as a guest.
// Shown only when the gateway runs in demo mode (GET /api/me says `demo: true`); otherwise the
// shop identifies its customer itself (js/identity.js) and nobody can pick another.

import { h, clear } from './dom.js';

const GUEST_VALUE = '';

export class DemoLogin {
  /** els: bar, select, status. onChange(me) is called after the session switched. */
  constructor(api, els, onChange) {
    this.api = api;
    this.els = els;
    this.onChange = onChange;
    this.ids = new Map(); // option value -> customer id as the server sent it
    this.me = null;
    els.select.addEventListener('change', () => this.switchTo(els.select.value));
  }

  /** Load the current session and, in demo mode, the demo customers; resolves to GET /api/me (or null). */
  async init() {
    this.setStatus('로그인 정보를 확인하고 있어요…');
    let me;
    try {
      me = await this.api.get('/api/me');
    } catch {
      return null; // the widget tells the customer that the server cannot be reached
    }
    if (!me.demo) return me; // production: the shop identifies its customer, the bar stays hidden
    this.els.bar.hidden = false;
    let customers = null;
    try {
      customers = (await this.api.get('/api/demo/customers')).customers;
    } catch {
      /* the status below says so */
    }
    this.fillOptions(customers || []);
    this.showSession(me);
    if (!customers) this.setStatus('데모 고객 목록을 불러오지 못했어요.', true);
    return me;
  }

  fillOptions(customers) {
    const { select } = this.els;
    clear(select);
    this.ids.clear();
    select.append(h('option', { value: GUEST_VALUE }, '비회원(게스트)'));
    for (const customer of Array.isArray(customers) ? customers : []) {
      if (!customer || customer.id === undefined || customer.id === null) continue;
      const value = String(customer.id);
      this.ids.set(value, customer.id);
      select.append(h('option', { value }, customer.name || `고객 ${value}`));
    }
  }

  showSession(me) {
    this.me = me || null;
    const customer = me && me.customer;
    const value = customer ? String(customer.id) : GUEST_VALUE;
    if (customer && !this.ids.has(value)) {
      this.ids.set(value, customer.id);
      this.els.select.append(h('option', { value }, customer.name || `고객 ${value}`));
    }
    this.els.select.value = value;
    this.setStatus(customer ? `${customer.name}님으로 로그인했어요` : '비회원(게스트)으로 둘러보는 중이에요');
  }

  setStatus(text, isError = false) {
    this.els.status.textContent = text;
    this.els.status.classList.toggle('is-error', isError);
  }

  async switchTo(value) {
    const { select } = this.els;
    select.disabled = true;
    this.setStatus('전환하는 중이에요…');
    try {
      if (value === GUEST_VALUE) await this.api.post('/api/logout');
      else await this.api.post('/api/login', { customer_id: this.ids.get(value) });
      const me = await this.api.get('/api/me');
      this.showSession(me);
      this.onChange(me);
    } catch (err) {
      this.showSession(this.me);
      this.setStatus(`로그인을 바꾸지 못했어요. ${err.message}`, true);
    } finally {
      select.disabled = false;
    }
  }
}
