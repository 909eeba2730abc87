// The customer chat widget: panel, message list, composer, websocket.
// History always comes from the server (GET), live updates from /ws/conversation.

import { h, append, clear, isSendKey, autoGrow } from './dom.js';
import { ReconnectingSocket, wsUrl } from './realtime.js';
import { Timeline } from './timeline.js';
import { renderMessage, normalizeMessage, isMessage, disableButtons } from './message-view.js';
import { newClientId, isTransient } from './api.js';
import { CsatSurvey } from './csat-survey.js';

const MESSAGES_PATH = '/api/conversation/messages';
const MAX_LENGTH = 1000;
const COUNTER_FROM = 800;
const TYPING_TIMEOUT_MS = 25000;
const OFFLINE_NOTICE_DELAY_MS = 1500;
const NEAR_BOTTOM_PX = 80;
const MOBILE_QUERY = '(max-width: 480px)';
// A send that could not reach the server is sent again by itself, with the same client id
// (the server answers it once), after these pauses; then the customer gets a retry button.
const RESEND_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];

/** Elements: launcher, unread, panel, close, status, notice, list, hint, typing, form, input, send, counter. */
export class ChatWidget {
  constructor(api, els) {
    this.api = api;
    this.els = els;
    this.timeline = new Timeline(els.list, (m) => this.renderOne(m), { anchor: els.typing });
    this.pendings = new Set(); // {text, payload, clientId, node, state: 'sending'|'sent'|'failed'|'done', error}
    this.socket = null;
    this.generation = 0;
    this.mode = 'bot';
    this.unread = 0;
    this.lastCustomerId = 0;
    this.historyFailed = false;
    this.noticeKind = null;
    this.typingTimer = null;
    this.offlineTimer = null;
    this.survey = new CsatSurvey(api, els.list, { onChange: () => this.scrollToBottom() });
    this.bindUi();
    this.updateComposer();
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** (Re)load the conversation of the current session. me: GET /api/me result or null. */
  async start(me) {
    this.applySession(me);
    await this.load();
  }

  /** me: {mode, mode_label, ...} from GET /api/me; null when the server could not be reached. */
  applySession(me) {
    if (me) this.setMode(me.mode, me.mode_label);
  }

  /** keepFailed: carry unsent messages over (same session, e.g. a retry after an outage). */
  async load({ keepFailed = false } = {}) {
    const failed = keepFailed ? [...this.pendings].filter((entry) => entry.state === 'failed') : [];
    const generation = this.reset();
    for (const entry of failed) {
      this.pendings.add(entry);
      this.timeline.addPending(entry.node);
    }
    try {
      const data = await this.api.get(`${MESSAGES_PATH}?after=0`);
      if (generation !== this.generation) return;
      this.ingest(data.messages, { live: false });
      this.els.hint.hidden = this.timeline.size > 0;
      if (this.timeline.size) this.survey.schedule(); // a reload right after the end still gets asked
    } catch (err) {
      if (generation !== this.generation) return;
      this.historyFailed = true;
      this.showNotice(`대화 내용을 불러오지 못했어요. ${err.message}`, { kind: 'error', retry: () => this.load({ keepFailed: true }) });
    }
    this.connect(generation);
    this.scrollToBottom();
  }

  /** Forget everything shown for the previous session; returns the new generation. */
  reset() {
    this.generation += 1;
    this.stopSocket();
    this.timeline.clear();
    this.pendings.clear();
    this.lastCustomerId = 0;
    this.historyFailed = false;
    this.els.hint.hidden = true;
    this.setTyping(false);
    this.hideNotice();
    this.setUnread(0);
    this.survey.reset();
    return this.generation;
  }

  connect(generation) {
    this.socket = new ReconnectingSocket({
      url: () => wsUrl('/ws/conversation', { after: this.timeline.maxId }),
      onMessage: (frame) => {
        if (generation === this.generation) this.handleFrame(frame);
      },
      onOpen: () => this.setOnline(true),
      onClose: () => this.setOnline(false),
    });
    this.socket.start();
  }

  stopSocket() {
    if (this.socket) this.socket.stop();
    this.socket = null;
    clearTimeout(this.offlineTimer);
  }

  // ---- UI wiring -------------------------------------------------------------------------

  bindUi() {
    const { launcher, close, panel, form, input } = this.els;
    launcher.addEventListener('click', () => (this.isOpen() ? this.close() : this.open()));
    close.addEventListener('click', () => this.close());
    panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    input.addEventListener('input', () => this.updateComposer());
    input.addEventListener('keydown', (event) => {
      if (!isSendKey(event)) return;
      event.preventDefault();
      this.submit();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  isOpen() {
    return !this.els.panel.hidden;
  }

  open() {
    this.els.panel.hidden = false;
    this.els.launcher.setAttribute('aria-expanded', 'true');
    document.body.classList.add('chat-open');
    this.setUnread(0);
    this.scrollToBottom();
    if (!window.matchMedia(MOBILE_QUERY).matches) this.els.input.focus();
  }

  close() {
    this.els.panel.hidden = true;
    this.els.launcher.setAttribute('aria-expanded', 'false');
    document.body.classList.remove('chat-open');
    this.els.launcher.focus();
  }

  setUnread(count) {
    this.unread = count;
    this.els.unread.hidden = count === 0;
    this.els.unread.textContent = count > 9 ? '9+' : String(count);
    this.els.launcher.setAttribute('aria-label', count ? `상담하기 (새 메시지 ${count}개)` : '상담하기');
  }

  updateComposer() {
    const { input, send, counter } = this.els;
    const length = input.value.length;
    send.disabled = !input.value.trim();
    counter.hidden = length < COUNTER_FROM;
    counter.textContent = `${length}/${MAX_LENGTH}`;
    counter.classList.toggle('is-limit', length >= MAX_LENGTH);
    autoGrow(input);
  }

  submit() {
    const text = this.els.input.value.trim().slice(0, MAX_LENGTH);
    if (!text) return;
    this.els.input.value = '';
    this.updateComposer();
    this.send(text);
  }

  // ---- status, typing, notices -----------------------------------------------------------

  /** mode and its label come from the server (status frames, /api/me). */
  setMode(mode, label) {
    this.mode = mode;
    this.els.status.textContent = label;
    this.els.status.dataset.mode = mode;
  }

  setTyping(on) {
    clearTimeout(this.typingTimer);
    const stick = this.isNearBottom();
    this.els.typing.hidden = !on;
    if (!on) return;
    this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_TIMEOUT_MS);
    if (stick) this.scrollToBottom();
  }

  setOnline(online) {
    clearTimeout(this.offlineTimer);
    if (!online) {
      this.offlineTimer = setTimeout(() => {
        if (this.noticeKind !== 'error') this.showNotice('연결이 잠시 끊겼어요. 다시 연결하고 있어요…', { kind: 'offline' });
      }, OFFLINE_NOTICE_DELAY_MS);
      return;
    }
    if (this.noticeKind === 'offline') this.hideNotice();
    if (this.historyFailed) this.retryHistory();
  }

  async retryHistory() {
    const generation = this.generation;
    try {
      const data = await this.api.get(`${MESSAGES_PATH}?after=${this.timeline.maxId}`);
      if (generation !== this.generation) return;
      this.historyFailed = false;
      this.hideNotice();
      this.ingest(data.messages, { live: false });
      this.els.hint.hidden = this.timeline.size > 0;
    } catch {
      /* the notice with its retry button stays */
    }
  }

  showNotice(text, { kind = 'info', retry = null } = {}) {
    const { notice } = this.els;
    clear(notice);
    append(notice, [
      h('span', { class: 'chat-notice-text' }, text),
      retry && h('button', { type: 'button', class: 'chat-notice-retry', onclick: retry }, '다시 시도'),
    ]);
    notice.dataset.kind = kind;
    notice.hidden = false;
    this.noticeKind = kind;
  }

  hideNotice() {
    this.els.notice.hidden = true;
    clear(this.els.notice);
    this.noticeKind = null;
  }

  // ---- incoming messages -----------------------------------------------------------------

  handleFrame(frame) {
    switch (frame.type) {
      case 'message':
        this.receive(frame.message);
        break;
      case 'typing':
        this.setTyping(Boolean(frame.on));
        break;
      case 'status':
        this.setMode(frame.mode, frame.mode_label);
        break;
      default:
        break; // unknown frame types are ignored
    }
  }

  /**
   * One live message (websocket or POST replies). Ids increase but are shared by all
   * conversations, so a jump is not a gap: the server replays everything after the last
   * id on every (re)connect, and the timeline drops ids it already has.
   */
  receive(raw, entry = null) {
    if (!isMessage(raw)) return;
    const message = normalizeMessage(raw);
    if (this.timeline.has(message.id)) {
      if (entry) this.dropPending(entry); // already shown via the websocket
      return;
    }
    const stick = this.isNearBottom();
    this.add(message, { live: true, entry });
    if (stick || message.sender === 'customer') this.scrollToBottom();
  }

  /** A batch (history or gap fill): rendered in id order, no gap checks. */
  ingest(list, { live }) {
    if (!Array.isArray(list)) return;
    const stick = this.isNearBottom();
    const messages = list.filter(isMessage).map(normalizeMessage).sort((a, b) => a.id - b.id);
    for (const message of messages) {
      if (!this.timeline.has(message.id)) this.add(message, { live });
    }
    if (stick || !live) this.scrollToBottom();
  }

  add(message, { live, entry = null }) {
    const pending = entry || (message.sender === 'customer' ? this.findPending(message) : null);
    let node;
    if (pending) {
      pending.state = 'done';
      this.pendings.delete(pending);
      node = this.timeline.resolvePending(pending.node, message);
    } else {
      node = this.timeline.insert(message);
    }
    if (node) this.afterAdd(message, live);
  }

  afterAdd(message, live) {
    if (message.sender === 'customer') {
      this.lastCustomerId = Math.max(this.lastCustomerId, message.id);
      this.markAnswered(message);
      this.survey.cancel();
      return;
    }
    if (live) this.setTyping(false);
    if (live) this.survey.schedule();
    if (live && !this.isOpen()) this.setUnread(this.unread + 1);
    if (message.sender !== 'system') this.els.hint.hidden = true;
  }

  /** Quick replies of messages before a customer message are stale: disable them. */
  markAnswered(customerMessage) {
    let newest = true;
    for (const [, node] of this.timeline.before(customerMessage.id)) {
      const group = node.querySelector('.msg-buttons');
      if (!group) continue;
      if (!group.classList.contains('is-used')) disableButtons(node, newest ? customerMessage.text : null);
      newest = false;
    }
  }



  renderOne(message) {
    const interactive = message.sender !== 'customer' && message.id > this.lastCustomerId;
    return renderMessage(message, {
      interactive,
      onButton: (msg, button) => this.choose(msg, button),
    });
  }

  // ---- outgoing messages -----------------------------------------------------------------

  choose(message, button) {
    const node = this.timeline.node(message.id);
    if (node) disableButtons(node, button.title);
    this.send(button.title, button.payload);
  }

  send(text, payload) {
    const entry = { text, payload, clientId: newClientId(), node: null, state: 'sending', error: null };
    entry.node = h('div', { class: 'msg msg--customer is-pending', dataset: { sender: 'customer' } });
    this.pendings.add(entry);
    this.timeline.addPending(entry.node);
    this.els.hint.hidden = true;
    this.post(entry);
    this.scrollToBottom();
  }

  /** Send one message; a transient failure is retried with the same client id, so the
   *  server stores and answers it once however many attempts reach it. */
  async post(entry) {
    const generation = this.generation;
    entry.state = 'sending';
    this.paintPending(entry);
    if (this.mode === 'bot') this.setTyping(true);
    const body = { text: entry.text, client_id: entry.clientId };
    if (entry.payload !== undefined && entry.payload !== null) body.payload = entry.payload;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const data = await this.api.post(MESSAGES_PATH, body);
        if (generation !== this.generation) return;
        if (this.historyFailed) {
          // The server is back but we never got the history: start over from the server's copy.
          this.load({ keepFailed: true });
          return;
        }
        if (entry.state !== 'done') {
          if (isMessage(data.message)) this.receive(data.message, entry);
          else this.markSent(entry);
        }
        if (Array.isArray(data.replies)) data.replies.forEach((reply) => this.receive(reply));
        return;
      } catch (err) {
        if (generation !== this.generation) return;
        if (isTransient(err) && attempt < RESEND_DELAYS_MS.length) {
          if (entry.state !== 'done') {
            entry.state = 'resending';
            this.paintPending(entry);
          }
          await new Promise((resolve) => setTimeout(resolve, RESEND_DELAYS_MS[attempt]));
          if (generation !== this.generation) return;
          continue;
        }
        if (entry.state === 'done') return;
        entry.state = 'failed';
        entry.error = err.message;
        this.paintPending(entry);
        this.setTyping(false);
        return;
      }
    }
  }

  markSent(entry) {
    entry.state = 'sent'; // the server did not echo the message: wait for it on the websocket
    this.paintPending(entry);
  }

  /** The pending entry a stored customer message resolves: by client id, else by text. */
  findPending(message) {
    for (const entry of this.pendings) {
      if (message.client_id && entry.clientId === message.client_id) return entry;
    }
    for (const entry of this.pendings) {
      if (!message.client_id && entry.text === message.text.trim()) return entry;
    }
    return null;
  }

  dropPending(entry) {
    entry.state = 'done';
    this.pendings.delete(entry);
    this.timeline.removePending(entry.node);
  }

  paintPending(entry) {
    const { node } = entry;
    node.classList.toggle('is-failed', entry.state === 'failed');
    clear(node);
    const side = entry.state === 'failed'
      ? h('button', {
          type: 'button',
          class: 'msg-retry',
          title: entry.error || '',
          onclick: () => this.post(entry),
        }, '전송 실패 · 다시 보내기')
      : h('span', { class: 'msg-state' },
          entry.state === 'sending' ? '전송 중' : entry.state === 'resending' ? '연결 중 · 다시 보내는 중' : '');
    node.append(h('div', { class: 'msg-row' },
      h('div', { class: 'msg-bubble' }, h('div', { class: 'msg-text' }, entry.text)),
      side));
  }

  // ---- scrolling -------------------------------------------------------------------------

  isNearBottom() {
    const { list } = this.els;
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    const { list } = this.els;
    list.scrollTop = list.scrollHeight;
  }
}
