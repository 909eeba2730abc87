// Entry point of the staff console (agents and sellers): login, queue, ticket, realtime.

import { createApi } from './js/api.js';
import { ReconnectingSocket, wsUrl } from './js/realtime.js';
import { showToast } from './js/toast.js';
import { StaffSession } from './js/console/session.js';
import { QueueView } from './js/console/queue.js';
import { TicketView } from './js/console/ticket-view.js';
import { ROLE_LABELS, TABS } from './js/console/labels.js';

const byId = (id) => document.getElementById(id);

// Tells js/fallback.js that the modules loaded (they cannot from file:// URLs).
document.documentElement.dataset.app = 'ready';
const AUTH_CLOSE_CODES = new Set([1008, 4001, 4003, 4401, 4403]);
const VERIFY_INTERVAL_MS = 10000;
const BASE_TITLE = '모두의마켓 상담 콘솔';

class ConsoleApp {
  constructor() {
    this.session = new StaffSession();
    this.api = createApi({ getToken: () => this.session.token, onUnauthorized: () => this.expire() });
    this.socket = null;
    this.lastVerify = 0;
    this.queue = new QueueView(this.api, {
      list: byId('queue'),
      empty: byId('queue-empty'),
      tabs: [...document.querySelectorAll('.queue-tab')],
      counts: Object.fromEntries(TABS.map((tab) => [tab, byId(`count-${tab}`)])),
    }, {
      onSelect: (id) => this.select(id),
      onCount: (queued) => {
        document.title = queued ? `(${queued}) ${BASE_TITLE}` : BASE_TITLE;
      },
    });
    this.ticket = new TicketView(this.api, {
      empty: byId('ticket-empty'),
      detail: byId('ticket-detail'),
      title: byId('ticket-title'),
      meta: byId('ticket-meta'),
      transcript: byId('transcript'),
      context: byId('context-panel'),
      claim: byId('claim'),
      handback: byId('handback'),
      close: byId('close'),
      approve: byId('approve'),
      reject: byId('reject'),
      replyForm: byId('reply-form'),
      replyInput: byId('reply-input'),
      replySend: byId('reply-send'),
      canned: byId('canned-select'),
      noteForm: byId('note-form'),
      noteInput: byId('note-input'),
      noteSend: byId('note-send'),
    }, {
      getUser: () => this.session.user,
      onTicket: (ticket) => {
        this.queue.upsert(ticket);
        this.ticket.applyTicket(ticket);
      },
    });
    this.bind();
  }

  bind() {
    byId('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.login();
    });
    byId('logout').addEventListener('click', () => this.logout());
  }

  boot() {
    if (this.session.active) this.enter();
    else this.showLogin();
  }

  // ---- authentication ----------------------------------------------------------------------

  showLogin({ error = '', info = '' } = {}) {
    byId('app-view').hidden = true;
    byId('login-view').hidden = false;
    const errorNode = byId('login-error');
    errorNode.textContent = error;
    errorNode.hidden = !error;
    const infoNode = byId('login-info');
    infoNode.textContent = info;
    infoNode.hidden = !info;
    byId('login-password').value = '';
    byId(byId('login-username').value ? 'login-password' : 'login-username').focus();
    document.title = BASE_TITLE;
  }

  async login() {
    const username = byId('login-username').value.trim();
    const password = byId('login-password').value;
    if (!username || !password) {
      this.showLogin({ error: '아이디와 비밀번호를 입력해 주세요.' });
      return;
    }
    const submit = byId('login-submit');
    submit.disabled = true;
    byId('login-error').hidden = true;
    try {
      const data = await this.api.post('/api/staff/login', { username, password }, { authRedirect: false });
      if (!data.token) throw new Error('로그인 응답이 올바르지 않아요.');
      this.session.save(data.token, data.user);
      this.enter();
    } catch (err) {
      this.showLogin({ error: err.message });
    } finally {
      submit.disabled = false;
    }
  }

  async logout() {
    try {
      await this.api.post('/api/staff/logout', {}, { authRedirect: false });
    } catch {
      /* the token is dropped locally either way */
    }
    this.leave({ info: '로그아웃했어요.' });
  }

  /** Any 401: the token is no longer valid. */
  expire() {
    if (!this.session.active) return;
    this.leave({ error: '로그인이 만료되었어요. 다시 로그인해 주세요.' });
  }

  leave(message) {
    this.session.clear();
    this.stopSocket();
    this.queue.reset();
    this.ticket.reset();
    history.replaceState(null, '', window.location.pathname + window.location.search);
    this.showLogin(message);
  }

  // ---- main view ---------------------------------------------------------------------------

  enter() {
    if ((this.session.user || {}).role === 'author') {
      window.location.assign('/console/studio'); // authors work in the studio; the desk is not theirs
      return;
    }
    byId('login-view').hidden = true;
    byId('app-view').hidden = false;
    this.renderUser();
    this.setConnection(false, '연결 중…');
    this.queue.loadAll().then((error) => error && showToast(error.message, { type: 'error' }));
    this.ticket.loadCanned().then(() => this.ticket.renderActions());
    this.connect();
    const id = this.ticketIdFromHash();
    if (id) this.select(id);
  }

  renderUser() {
    const user = this.session.user || {};
    byId('me-name').textContent = user.display_name || user.username || '';
    const role = ROLE_LABELS[user.role] || '';
    byId('me-role').textContent = role;
    byId('me-role').dataset.role = user.role || '';
    byId('queue-title').textContent = user.role === 'seller' ? '우리 상점 문의' : '상담 대기열';
  }

  select(id) {
    this.queue.select(id);
    history.replaceState(null, '', `#ticket-${encodeURIComponent(id)}`);
    this.ticket.open(id);
  }

  ticketIdFromHash() {
    const match = window.location.hash.match(/^#ticket-(.+)$/);
    if (!match) return null;
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return null; // malformed hash
    }
  }

  // ---- realtime ----------------------------------------------------------------------------

  connect() {
    this.stopSocket();
    let opened = false;
    this.socket = new ReconnectingSocket({
      url: () => wsUrl('/ws/staff', { token: this.session.token }),
      onMessage: (frame) => this.onFrame(frame),
      onOpen: () => {
        opened = true;
        this.setConnection(true);
        this.resync();
      },
      onClose: (event) => {
        this.setConnection(false);
        if (AUTH_CLOSE_CODES.has(event.code) || !opened) this.verifySession();
        opened = false;
      },
    });
    this.socket.start();
  }

  stopSocket() {
    if (this.socket) this.socket.stop();
    this.socket = null;
  }

  /** After (re)connecting: events may have been missed, so reload what is on screen. */
  resync() {
    this.queue.loadAll();
    this.ticket.refresh();
  }

  /** The socket was refused: a 401 from a cheap call sends us back to the login form. */
  verifySession() {
    const now = Date.now();
    if (now - this.lastVerify < VERIFY_INTERVAL_MS || !this.session.active) return;
    this.lastVerify = now;
    this.api.get('/api/staff/tickets?status=queued').catch(() => {});
  }

  onFrame(frame) {
    if (frame.type === 'ticket' && frame.ticket) {
      this.queue.upsert(frame.ticket, { live: true });
      this.ticket.applyTicket(frame.ticket);
    } else if (frame.type === 'message' && frame.message) {
      this.ticket.receiveMessage(frame.ticket_id, frame.message);
      this.queue.touchLastMessage(frame.ticket_id, frame.message.text);
    } else if (frame.type === 'note' && frame.note) {
      this.ticket.receiveNote(frame.ticket_id, frame.note);
    }
  }

  setConnection(online, text) {
    const node = byId('conn-status');
    node.textContent = text || (online ? '실시간 연결됨' : '다시 연결하는 중…');
    node.dataset.online = String(online);
  }
}

new ConsoleApp().boot();

