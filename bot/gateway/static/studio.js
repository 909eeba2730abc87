// The scenario authors' studio: review conversations, fix the NLU data from the inbox, retrain and
// evaluate, swap the model live, roll back. Authors write; agents only read (the API enforces it).
// Every customer text arrives masked from the server and is put in text nodes only.

import { createApi } from './js/api.js';
import { h, clear, formatDateTime } from './js/dom.js';
import { StaffSession } from './js/console/session.js';

const byId = (id) => document.getElementById(id);
const session = new StaffSession();
const api = createApi({ getToken: () => session.token, onUnauthorized: () => needLogin(), timeoutMs: 120000 });
const isAuthor = () => session.user && session.user.role === 'author';
const SENDER_LABELS = { customer: '고객', bot: '챗봇', agent: '상담원', seller: '판매자', system: '안내' };
let intents = [];
let currentConversation = null;
let pollTimer = null;

const fixed = (v, digits = 2) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));

function needLogin() {
  byId('studio').hidden = true;
  byId('need-login').hidden = false;
}

function status(id, text, kind = '') {
  const node = byId(id);
  node.textContent = text;
  node.dataset.kind = kind;
}

function showTab(name) {
  document.querySelectorAll('[data-tab]').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === name)));
  document.querySelectorAll('[data-pane]').forEach((p) => { p.hidden = p.dataset.pane !== name; });
  if (name === 'review') loadReview();
  if (name === 'inbox') loadInbox();
  if (name === 'model') loadModels();
}

// ---- review ----------------------------------------------------------------------------------

function reviewQuery() {
  const form = byId('review-form');
  const params = new URLSearchParams();
  const named = ['fallback', 'csat_low', 'unreviewed'].filter((n) => form.elements[n].checked);
  if (named.length) params.set('filter', named.join(','));
  for (const name of ['handoff', 'confidence_below', 'intent', 'from', 'to']) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  return params.toString();
}

async function loadReview() {
  status('review-status', '불러오는 중…');
  try {
    const data = await api.get(`/api/staff/review/conversations?${reviewQuery()}`);
    const body = byId('review-list').tBodies[0];
    clear(body);
    for (const c of data.conversations) {
      body.append(h('tr', { dataset: { id: c.conversation_id }, onclick: () => openTranscript(c.conversation_id) },
        h('td', { text: formatDateTime(c.started_at) }), h('td', { text: c.first_message || '–' }),
        h('td', { text: c.user_messages }), h('td', { text: c.fallback_messages }),
        h('td', { text: fixed(c.lowest_confidence) }), h('td', { text: c.handoff_reasons.join(', ') || '–' }),
        h('td', { text: c.csat ?? '–' }), h('td', { text: c.reviewed ? '완료' : (c.tags.length ? c.tags.join(', ') : '') })));
    }
    status('review-status', `${data.conversations.length}개 대화`);
  } catch (err) {
    status('review-status', err.message, 'error');
  }
}

function nluLine(nlu) {
  if (!nlu) return null;
  const parts = [`${nlu.intent} ${fixed(nlu.confidence)}`];
  if (nlu.runner_up) parts.push(`2위 ${nlu.runner_up.intent} ${fixed(nlu.runner_up.confidence)}`);
  if (nlu.entities.length) parts.push(`엔티티 ${nlu.entities.map((e) => `${e.entity}=${e.value}`).join(', ')}`);
  if (nlu.actions.length) parts.push(`→ ${nlu.actions.join(', ')}`);
  const low = nlu.fallback || (nlu.confidence !== null && nlu.confidence < 0.9);
  return h('span', { class: low ? 'nlu low' : 'nlu', text: parts.join(' · ') });
}

async function openTranscript(id) {
  currentConversation = id;
  document.querySelectorAll('#review-list tbody tr').forEach((r) => r.setAttribute('aria-selected', String(r.dataset.id === id)));
  const data = await api.get(`/api/staff/review/conversations/${encodeURIComponent(id)}`);
  byId('transcript').hidden = false;
  byId('transcript-title').textContent = `대화 ${id.slice(0, 8)}${data.reviewed ? ' (검토 완료)' : ''}`;
  byId('transcript-tags').value = data.tags.join(', ');
  const list = byId('transcript-messages');
  clear(list);
  for (const m of data.messages) {
    list.append(h('li', { dataset: { sender: m.sender } }, h('span', { class: 'who', text: SENDER_LABELS[m.sender] || m.sender }),
      h('span', { text: m.text }), m.sender === 'customer' ? nluLine(m.nlu) : null));
  }
}

async function markConversation(body) {
  if (!currentConversation) return;
  try {
    await api.post(`/api/staff/review/conversations/${encodeURIComponent(currentConversation)}`, body);
    await openTranscript(currentConversation);
    loadReview();
  } catch (err) {
    status('review-status', err.message, 'error');
  }
}

// ---- inbox -----------------------------------------------------------------------------------

function intentSelect(selected) {
  return h('select', { class: 'inbox-intent', 'aria-label': '올바른 인텐트' },
    intents.map((name) => h('option', { value: name, text: name, selected: name === selected })));
}

async function addExample(group, intent, node) {
  try {
    const added = await api.post('/api/staff/nlu/examples', { intent, message_ids: group.message_ids });
    node.dataset.done = 'added';
    status('inbox-status', `${added.file} ${added.line}번째 줄에 추가했어요: 「${added.example}」 (${intent})`);
    loadChanges();
  } catch (err) {
    status('inbox-status', err.message, 'error');
  }
}

async function dismiss(group, node) {
  try {
    await api.post('/api/staff/nlu/inbox/dismiss', { message_ids: group.message_ids });
    node.dataset.done = 'dismissed';
    status('inbox-status', `「${group.text}」를 인박스에서 뺐어요.`);
  } catch (err) {
    status('inbox-status', err.message, 'error');
  }
}

async function loadInbox() {
  status('inbox-status', '불러오는 중…');
  try {
    const data = await api.get('/api/staff/nlu/inbox');
    const list = byId('inbox-list');
    clear(list);
    for (const group of data.groups) {
      const select = intentSelect(group.predicted);
      const node = h('article', { class: 'inbox-group', dataset: { text: group.text } },
        h('div', null, h('div', { class: 'inbox-text', text: group.text }),
          h('div', { class: 'inbox-meta', text: `${group.count}회 · 예측 ${group.predicted || '–'} ${fixed(group.confidence)}`
            + (group.variants.length > 1 ? ` · 비슷한 문장: ${group.variants.slice(1).join(' / ')}` : '') })),
        h('div', { class: 'inbox-actions' },
          h('button', { class: 'btn btn--small author-only inbox-confirm', type: 'button', text: '예측이 맞아요',
            onclick: () => addExample(group, group.predicted, node) }),
          select,
          h('button', { class: 'btn btn--primary btn--small author-only inbox-correct', type: 'button', text: '이 인텐트로 추가',
            onclick: () => addExample(group, select.value, node) }),
          h('button', { class: 'btn btn--ghost btn--small author-only inbox-dismiss', type: 'button', text: '제외',
            onclick: () => dismiss(group, node) })));
      list.append(node);
    }
    status('inbox-status', data.groups.length ? `${data.groups.length}개 묶음` : '확인할 메시지가 없어요.');
    applyRole();
  } catch (err) {
    status('inbox-status', err.message, 'error');
  }
  loadChanges();
}

async function loadChanges() {
  const data = await api.get('/api/staff/nlu/changes');
  const body = byId('changes').tBodies[0];
  clear(body);
  for (const c of data.changes) {
    const revert = c.reverted_at ? h('span', { text: `되돌림 (${c.reverted_by})` }) : h('button', {
      class: 'btn btn--small author-only', type: 'button', text: '되돌리기',
      onclick: async () => {
        try {
          const r = await api.post(`/api/staff/nlu/changes/${c.id}/revert`);
          status('inbox-status', `${c.file}에서 ${r.removed_lines}줄을 뺐어요.`);
        } catch (err) {
          status('inbox-status', err.message, 'error');
        }
        loadChanges();
      } });
    body.append(h('tr', null, h('td', { text: formatDateTime(c.at) }), h('td', { text: c.author }),
      h('td', { text: `${c.file}:${c.lines.join(',')}` }), h('td', { text: c.summary }), h('td', null, revert)));
  }
  applyRole();
}

// ---- training, evaluation, models --------------------------------------------------------------

function renderErrors(job) {
  const list = byId('train-errors');
  clear(list);
  const where = (e) => (e.file ? `${e.file}${e.line ? ` ${e.line}번째 줄` : ''}: ` : '');
  for (const e of job.errors) list.append(h('li', { text: `오류 · ${where(e)}${e.message}` }));
}

function metric(row, key) {
  const a = row.serving ? fixed(row.serving[key]) : '–';
  const b = row.candidate ? fixed(row.candidate[key]) : '–';
  return `${a} → ${b}`;
}

function renderEvaluation(evaluation) {
  byId('evaluation').hidden = false;
  const acc = evaluation.accuracy;
  byId('eval-accuracy').textContent = `정확도 ${fixed(acc.serving, 3)} → ${fixed(acc.candidate, 3)}`;
  const body = byId('eval-table').tBodies[0];
  clear(body);
  for (const row of evaluation.intents) {
    const change = row.f1_change;
    body.append(h('tr', { dataset: { intent: row.intent } }, h('td', { text: row.intent }), h('td', { text: metric(row, 'precision') }),
      h('td', { text: metric(row, 'recall') }), h('td', { text: metric(row, 'f1') }),
      h('td', { class: change > 0 ? 'up' : change < 0 ? 'down' : '', text: change === null ? '–' : (change > 0 ? '+' : '') + fixed(change, 3) }),
      h('td', { text: (row.candidate || row.serving).support })));
  }
  const conf = byId('eval-confusions').tBodies[0];
  clear(conf);
  for (const c of evaluation.confusion_changes) {
    conf.append(h('tr', null, h('td', { text: c.pair }), h('td', { text: c.serving }), h('td', { text: c.candidate })));
  }
  if (!evaluation.confusion_changes.length) conf.append(h('tr', null, h('td', { colspan: 3, text: '바뀐 혼동 쌍이 없어요.' })));
  const s = evaluation.stories;
  const story = (x) => (x && x.total ? `${x.correct}/${x.total}` : '–');
  byId('eval-stories').textContent = `성공한 대화 테스트: 지금 ${story(s.serving)} → 새 모델 ${story(s.candidate)}`
    + (s.candidate.failed && s.candidate.failed.length ? ` (실패: ${s.candidate.failed.join(', ')})` : '');
}

function renderJob(job) {
  byId('train-progress').value = job.progress;
  let seconds = job.train_seconds !== null && job.evaluate_seconds !== null
    ? ` · 학습 ${Math.round(job.train_seconds)}초 + 평가 ${Math.round(job.evaluate_seconds)}초` : '';
  if (job.reused && seconds) seconds = ' · 같은 데이터로 학습한 모델과 평가 결과를 다시 썼어요';
  status('train-step', `${job.step} (${job.progress}%, ${Math.round(job.elapsed_seconds)}초)${seconds}`,
    job.state === 'failed' ? 'error' : '');
  document.body.dataset.job = job.state;
  renderErrors(job);
  if (job.evaluation) renderEvaluation(job.evaluation);
  if (job.state === 'done' || job.state === 'failed') {
    clearInterval(pollTimer);
    pollTimer = null;
    loadModels();
  }
}

function follow(jobId) {
  clearInterval(pollTimer);
  const tick = async () => {
    try {
      renderJob(await api.get(`/api/staff/model/jobs/${jobId}`));
    } catch (err) {
      status('train-step', err.message, 'error');
    }
  };
  tick();
  pollTimer = setInterval(tick, 2000);
}

async function startTraining() {
  try {
    const started = await api.post('/api/staff/model/train');
    follow(started.job_id);
  } catch (err) {
    if (err.data && err.data.job_id) follow(err.data.job_id);
    status('train-step', err.message, 'error');
  }
}

async function swap(path, body, label) {
  status('swap-status', `${label} 중… 고객 대화는 계속돼요.`);
  document.body.dataset.swap = 'running';
  try {
    const r = await api.post(path, body);
    status('swap-status', `${r.model} 적용 완료 (${r.seconds}초, Rasa ${r.instances.length}대)`);
    document.body.dataset.swap = 'done';
  } catch (err) {
    status('swap-status', err.message, 'error');
    document.body.dataset.swap = 'failed';
  }
  loadModels();
}

async function loadModels() {
  const data = await api.get('/api/staff/model/models');
  const body = byId('models').tBodies[0];
  clear(body);
  for (const m of data.models) {
    const state = m.serving ? '사용 중' : m.previous ? '이전 모델' : '';
    body.append(h('tr', { dataset: { model: m.model } }, h('td', { text: m.model }), h('td', { text: formatDateTime(m.created_at) }),
      h('td', { text: `${m.size_mb} MB` }), h('td', { text: state }),
      h('td', null, m.serving ? null : h('button', { class: 'btn btn--small author-only activate', type: 'button', text: '이 모델 적용',
        onclick: () => swap('/api/staff/model/activate', { model: m.model }, '모델 교체') }))));
  }
  byId('rollback').disabled = !data.previous;
  applyRole();
  if (!pollTimer) {
    const { jobs } = await api.get('/api/staff/model/jobs');
    if (jobs.length && !['done', 'failed'].includes(jobs[0].state)) follow(jobs[0].id);
    else if (jobs.length && !byId('train-step').textContent) renderJob(jobs[0]);
  }
}

// ---- start -----------------------------------------------------------------------------------

function applyRole() {
  document.querySelectorAll('.author-only').forEach((node) => { node.hidden = !isAuthor(); });
}

async function start() {
  if (!session.active) return needLogin();
  byId('me-name').textContent = session.user ? session.user.display_name : '';
  byId('me-role').textContent = isAuthor() ? '작성자' : '상담원 (읽기 전용)';
  try {
    intents = (await api.get('/api/staff/nlu/intents')).intents;
  } catch (err) {
    byId('need-login').textContent = err.message;
    return needLogin();
  }
  byId('intent-list').append(...intents.map((name) => h('option', { value: name })));
  byId('read-only').hidden = isAuthor();
  byId('studio').hidden = false;
  document.querySelectorAll('[data-tab]').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
  byId('review-form').addEventListener('submit', (event) => { event.preventDefault(); loadReview(); });
  byId('transcript-reviewed').addEventListener('click', () => markConversation({ reviewed: true }));
  byId('transcript-save').addEventListener('click', () => markConversation({
    tags: byId('transcript-tags').value.split(',').map((t) => t.trim()).filter(Boolean) }));
  byId('train-start').addEventListener('click', startTraining);
  byId('rollback').addEventListener('click', () => swap('/api/staff/model/rollback', {}, '이전 모델로 되돌리기'));
  applyRole();
  showTab(location.hash === '#model' ? 'model' : location.hash === '#inbox' ? 'inbox' : 'review');
  document.body.dataset.state = 'ready';
}

start();
