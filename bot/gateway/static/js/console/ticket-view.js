// The middle column: one ticket's header, transcript (messages + internal notes),
// reply and note boxes, and the action buttons. The right column is filled from the same fetch.

import { h, append, clear, formatClock, formatFull, formatDateTime, isSendKey, parseDate } from '../dom.js';
import { renderMessage, normalizeMessage, isMessage, staffAuthorLabel } from '../message-view.js';
import { showToast } from '../toast.js';
import { renderContext, renderContextPlaceholder } from './context-panel.js';
import { KIND_LABELS, TARGET_LABELS, isDone, hasDecision, sameId } from './labels.js';

const NEAR_BOTTOM_PX = 80;
const REFRESH_DEBOUNCE_MS = 300;

const timeOf = (item) => {
  const date = parseDate(item.created_at);
  return date ? date.getTime() : 0;
};

/** Messages in id order with notes slotted in by time. */
function mergeTimeline(messages, notes) {
  const sortedNotes = [...notes].sort((a, b) => timeOf(a) - timeOf(b));
  const items = [];
  let next = 0;
  for (const message of [...messages].sort((a, b) => a.id - b.id)) {
    while (next < sortedNotes.length && timeOf(sortedNotes[next]) < timeOf(message)) {
      items.push({ note: sortedNotes[next] });
      next += 1;
    }
    items.push({ message });
  }
  for (; next < sortedNotes.length; next += 1) items.push({ note: sortedNotes[next] });
  return items;
}

function renderNote(note) {
  return h('div', { class: 'note', dataset: { noteId: String(note.id) } },
    h('div', { class: 'note-head' },
      h('span', { class: 'note-label' }, '내부 메모'),
      h('span', { class: 'note-author' }, note.author || ''),
      h('time', { class: 'note-time', datetime: note.created_at, title: formatFull(note.created_at) }, formatClock(note.created_at))),
    h('div', { class: 'note-text' }, note.text));
}

function isNote(value) {
  return Boolean(value && typeof value === 'object' && value.id !== undefined && typeof value.text === 'string');
}

export class TicketView {
  /** options.getUser(): current staff user. options.onTicket(ticket): a fresher summary is known. */
  constructor(api, els, { getUser, onTicket }) {
    this.api = api;
    this.els = els;
    this.getUser = getUser;
    this.onTicket = onTicket;
    this.current = null; // {id, ticket, context, messages: Map, notes: Map}
    this.loadSeq = 0;
    this.busy = false;
    this.refreshTimer = null;
    this.bind();
    this.reset();
  }

  // ---- wiring ----------------------------------------------------------------------------

  bind() {
    const { els } = this;
    els.claim.addEventListener('click', () => this.act('claim', {}, '담당자로 지정했어요.'));
    els.handback.addEventListener('click', () => this.act('handback', {}, '챗봇에게 대화를 돌려줬어요.'));
    els.close.addEventListener('click', () => this.act('close', {}, '문의를 종료했어요.'));
    els.approve.addEventListener('click', () => this.act('decision', { approve: true }, '요청을 승인했어요.'));
    els.reject.addEventListener('click', () => this.act('decision', { approve: false }, '요청을 거절했어요.'));
    this.bindComposer(els.replyForm, els.replyInput, () => this.sendReply());
    this.bindComposer(els.noteForm, els.noteInput, () => this.sendNote());
    els.canned.addEventListener('change', () => this.insertCanned());
  }

  bindComposer(form, input, send) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      send();
    });
    input.addEventListener('keydown', (event) => {
      if (!isSendKey(event)) return;
      event.preventDefault();
      send();
    });
  }

  // ---- canned replies --------------------------------------------------------------------

  async loadCanned() {
    const { canned } = this.els;
    try {
      const data = await this.api.get('/api/staff/canned');
      this.cannedList = Array.isArray(data.canned) ? data.canned.filter((c) => c && typeof c.text === 'string') : [];
    } catch {
      this.cannedList = [];
    }
    clear(canned);
    canned.append(h('option', { value: '' }, this.cannedList.length ? '자주 쓰는 답변' : '자주 쓰는 답변 없음'));
    this.cannedList.forEach((item, index) => canned.append(h('option', { value: String(index) }, item.title || item.text.slice(0, 30))));
    canned.disabled = !this.cannedList.length;
  }

  insertCanned() {
    const { canned, replyInput } = this.els;
    const item = this.cannedList && this.cannedList[Number(canned.value)];
    canned.value = '';
    if (!item) return;
    const start = replyInput.selectionStart ?? replyInput.value.length;
    const end = replyInput.selectionEnd ?? replyInput.value.length;
    replyInput.setRangeText(item.text, start, end, 'end');
    replyInput.focus();
  }

  // ---- loading ---------------------------------------------------------------------------

  reset() {
    this.loadSeq += 1;
    this.current = null;
    clearTimeout(this.refreshTimer);
    this.els.empty.hidden = false;
    this.els.detail.hidden = true;
    this.els.replyInput.value = '';
    this.els.noteInput.value = '';
    clear(this.els.transcript);
    renderContextPlaceholder(this.els.context, '문의를 선택하면 고객·주문 정보가 여기에 표시돼요.');
  }

  get currentId() {
    return this.current ? this.current.id : null;
  }

  async open(id) {
    const switching = !this.current || !sameId(this.current.id, id);
    if (switching) {
      this.current = null;
      this.els.replyInput.value = '';
      this.els.noteInput.value = '';
      this.els.empty.hidden = true;
      this.els.detail.hidden = false;
      this.els.title.textContent = '불러오는 중…';
      clear(this.els.meta);
      clear(this.els.transcript);
      renderContextPlaceholder(this.els.context, '정보를 불러오고 있어요…');
      this.renderActions();
    }
    await this.load(id);
  }

  /** Re-fetch the open ticket (after actions, gaps, reconnects). */
  async refresh() {
    if (this.current) await this.load(this.current.id);
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  async load(id) {
    const seq = ++this.loadSeq;
    let data;
    try {
      data = await this.api.get(`/api/staff/tickets/${encodeURIComponent(id)}`);
    } catch (err) {
      if (seq !== this.loadSeq) return;
      if (!this.current) {
        this.els.title.textContent = '문의를 불러오지 못했어요';
        renderContextPlaceholder(this.els.context, err.message);
      }
      showToast(err.message, { type: 'error' });
      return;
    }
    if (seq !== this.loadSeq || !data.ticket) return;
    this.apply(id, data);
  }

  apply(id, data) {
    const keep = this.current && sameId(this.current.id, id) ? this.current : null;
    const messages = new Map(keep ? keep.messages : []);
    for (const raw of data.messages || []) {
      if (isMessage(raw)) messages.set(Number(raw.id), normalizeMessage(raw));
    }
    const notes = new Map(keep ? keep.notes : []);
    for (const note of data.notes || []) if (isNote(note)) notes.set(String(note.id), note);
    this.current = { id: data.ticket.id ?? id, ticket: data.ticket, context: data.context || {}, messages, notes };
    this.onTicket(data.ticket);
    this.renderAll(!keep);
  }

  // ---- live updates ----------------------------------------------------------------------

  /** A fresher summary of the open ticket (websocket or action response). */
  applyTicket(ticket) {
    if (!this.current || !sameId(this.current.id, ticket.id)) return;
    this.current.ticket = { ...this.current.ticket, ...ticket };
    this.renderHeader();
    this.renderActions();
  }

  receiveMessage(ticketId, raw) {
    if (!this.current || !sameId(this.current.id, ticketId) || !isMessage(raw)) return;
    const message = normalizeMessage(raw);
    if (this.current.messages.has(message.id)) return;
    // Ids are shared by all conversations: a jump is not a gap. While connected the staff
    // socket misses nothing; after a reconnect the console refetches the open ticket.
    this.current.messages.set(message.id, message);
    this.renderTranscript(false);
  }

  receiveNote(ticketId, note) {
    if (!this.current || !sameId(this.current.id, ticketId) || !isNote(note)) return;
    if (this.current.notes.has(String(note.id))) return;
    this.current.notes.set(String(note.id), note);
    this.renderTranscript(false);
  }

  // ---- rendering -------------------------------------------------------------------------

  renderAll(scrollToEnd) {
    this.els.empty.hidden = true;
    this.els.detail.hidden = false;
    this.renderHeader();
    this.renderActions();
    this.renderTranscript(scrollToEnd);
    renderContext(this.els.context, this.current);
  }

  renderHeader() {
    const { ticket } = this.current;
    this.els.title.textContent = ticket.reason_label || ticket.reason || '문의';
    const meta = this.els.meta;
    clear(meta);
    append(meta, [
      h('span', { class: `tag tag--${ticket.target}` }, TARGET_LABELS[ticket.target] || ticket.target),
      ticket.kind && h('span', { class: 'tag' }, KIND_LABELS[ticket.kind] || ticket.kind),
      h('span', { class: `tag tag--status-${ticket.status}` }, ticket.status_label),
      h('span', { class: 'meta-item' }, ticket.customer_name || '비회원'),
      ticket.order_id && h('span', { class: 'meta-item' }, `주문 ${ticket.order_id}`),
      h('span', { class: 'meta-item' }, `${formatDateTime(ticket.created_at)} 접수`),
      h('span', { class: 'meta-item' }, ticket.assignee ? `담당 ${ticket.assignee.display_name || '지정됨'}` : '미배정'),
    ]);
  }

  renderActions() {
    const { els } = this;
    const ticket = this.current && this.current.ticket;
    const user = this.getUser();
    const done = !ticket || isDone(ticket);
    const mine = Boolean(ticket && ticket.assignee && user && sameId(ticket.assignee.id, user.id));
    els.claim.textContent = mine ? '담당 중' : '담당하기';
    els.claim.disabled = this.busy || done || mine;
    els.handback.disabled = this.busy || done;
    els.close.disabled = this.busy || done;
    const decision = hasDecision(ticket);
    els.approve.hidden = !decision;
    els.reject.hidden = !decision;
    els.approve.disabled = this.busy || done;
    els.reject.disabled = this.busy || done;
    els.replyInput.disabled = done;
    els.replySend.disabled = done;
    els.canned.disabled = done || !(this.cannedList && this.cannedList.length);
    els.replyInput.placeholder = done && ticket
      ? '종료된 문의에는 답변할 수 없어요.'
      : '고객에게 보낼 답변을 입력해 주세요 (Enter 전송, Shift+Enter 줄바꿈)';
    els.noteSend.disabled = !ticket;
  }

  renderTranscript(scrollToEnd) {
    const { transcript } = this.els;
    const stick = scrollToEnd || transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < NEAR_BOTTOM_PX;
    const { messages, notes, ticket } = this.current;
    clear(transcript);
    const items = mergeTimeline(messages.values(), notes.values());
    if (!items.length) transcript.append(h('p', { class: 'transcript-empty' }, '아직 대화 내용이 없어요.'));
    const authorFor = (message) => this.authorFor(message, ticket);
    for (const item of items) {
      transcript.append(item.note ? renderNote(item.note) : renderMessage(item.message, { interactive: false, authorFor }));
    }
    if (stick) transcript.scrollTop = transcript.scrollHeight;
  }

  authorFor(message, ticket) {
    if (message.sender === 'customer') return message.author || ticket.customer_name || '고객';
    if (message.sender === 'bot') return '챗봇';
    return staffAuthorLabel(message);
  }

  // ---- actions ---------------------------------------------------------------------------

  setBusy(busy) {
    this.busy = busy;
    this.renderActions();
  }

  async act(action, body, successText) {
    if (!this.current || this.busy) return;
    const id = this.current.id;
    this.setBusy(true);
    try {
      const data = await this.api.post(`/api/staff/tickets/${encodeURIComponent(id)}/${action}`, body);
      if (data.ticket) this.onTicket(data.ticket);
      showToast(successText, { type: 'success' });
    } catch (err) {
      showToast(err.message, { type: 'error' });
    } finally {
      this.setBusy(false);
    }
    if (this.current && sameId(this.current.id, id)) await this.refresh();
  }

  async sendReply() {
    const { replyInput, replySend } = this.els;
    const text = replyInput.value.trim();
    if (!this.current || !text || replySend.disabled) return;
    const id = this.current.id;
    replySend.disabled = true;
    try {
      const data = await this.api.post(`/api/staff/tickets/${encodeURIComponent(id)}/reply`, { text });
      if (replyInput.value.trim() === text) replyInput.value = '';
      if (data.ticket) this.onTicket(data.ticket);
      if (isMessage(data.message)) this.receiveMessage(id, data.message);
    } catch (err) {
      showToast(err.message, { type: 'error' });
    } finally {
      this.renderActions();
    }
  }

  async sendNote() {
    const { noteInput, noteSend } = this.els;
    const text = noteInput.value.trim();
    if (!this.current || !text || noteSend.disabled) return;
    const id = this.current.id;
    noteSend.disabled = true;
    try {
      const data = await this.api.post(`/api/staff/tickets/${encodeURIComponent(id)}/note`, { text });
      if (noteInput.value.trim() === text) noteInput.value = '';
      if (isNote(data.note)) this.receiveNote(id, data.note);
      else await this.refresh();
    } catch (err) {
      showToast(err.message, { type: 'error' });
    } finally {
      this.renderActions();
    }
  }
}
