// The staff dashboard: date range, headline cards, Chart.js charts, tables with CSV export.
// Agents see everything; a seller's token gets only that seller's figures from the API.

import { createApi } from './js/api.js';
import { h, clear } from './js/dom.js';
import { StaffSession } from './js/console/session.js';
import { ROLE_LABELS } from './js/console/labels.js';

const byId = (id) => document.getElementById(id);
const DAY_MS = 24 * 3600 * 1000;
const KST_OFFSET_MS = 9 * 3600 * 1000;
const COLORS = { brand: '#5b4cf0', agent: '#0f7a4a', seller: '#b45309', muted: '#9ca3af', accent: '#f0412b' };
const PALETTE = ['#5b4cf0', '#0f7a4a', '#b45309', '#f0412b', '#0891b2', '#a21caf', '#65a30d', '#9ca3af', '#1d4ed8', '#ca8a04'];

const session = new StaffSession();
const api = createApi({ getToken: () => session.token, onUnauthorized: () => needLogin() });
const charts = {};

/** KST calendar day, `daysAgo` days before today, as YYYY-MM-DD. */
function kstDay(daysAgo = 0) {
  return new Date(Date.now() + KST_OFFSET_MS - daysAgo * DAY_MS).toISOString().slice(0, 10);
}

export function percent(value) {
  return value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)}%`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${Math.round(seconds)}초`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}분 ${Math.round(seconds % 60)}초`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)}시간`;
  return `${(seconds / 86400).toFixed(1)}일`;
}

const number = (value) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('ko-KR'));

function needLogin() {
  byId('dashboard').hidden = true;
  byId('need-login').hidden = false;
}

// ---- cards -------------------------------------------------------------------------------------

function sellerTotals(data) {
  const rows = data.sellers;
  const sum = (key) => rows.reduce((acc, row) => acc + (row[key] || 0), 0);
  const due = sum('due');
  return {
    tickets: sum('tickets'),
    within: due ? sum('answered_within_24h') / due : null,
    median: rows.length === 1 ? rows[0].median_answer_s : null,
    escalations: sum('escalations'),
  };
}

function cardsFor(data, role) {
  const csat = data.csat;
  const csatCard = {
    key: 'csat', label: '고객 만족도 (4~5점 비율)', value: percent(csat.score),
    sub: `응답 ${number(csat.responses)}건 · 응답률 ${percent(csat.response_rate)}`,
  };
  if (role === 'seller') {
    const s = sellerTotals(data);
    return [
      { key: 'conversations', label: '우리 상점 문의 대화', value: number(data.conversations), sub: `문의 티켓 ${number(s.tickets)}건` },
      { key: 'within_24h', label: '24시간 내 답변율', value: percent(s.within), sub: '기한이 지난 문의 기준' },
      { key: 'median_answer', label: '답변 시간 중앙값', value: duration(s.median), sub: '문의 접수부터 첫 답변까지' },
      { key: 'escalations', label: '상담원 이관', value: number(s.escalations), sub: '24시간 안에 답하지 못한 문의' },
      csatCard,
    ];
  }
  return [
    { key: 'conversations', label: '문의 대화', value: number(data.conversations), sub: `인사만 한 대화 ${number(data.greetings_only)}건 제외` },
    { key: 'containment', label: '챗봇 자동 해결률', value: percent(data.containment_rate), sub: `${number(data.contained)}건을 사람 없이 마침` },
    { key: 'handoff', label: '상담 연결률', value: percent(data.handoff_rate), sub: `${number(data.handed_off)}건 상담원·판매자 연결` },
    { key: 'fallback', label: '폴백률 (메시지)', value: percent(data.fallback_rate), sub: `폴백 있었던 대화 ${percent(data.fallback.conversation_rate)}` },
    { key: 'abandonment', label: '이탈률', value: percent(data.abandonment_rate), sub: `챗봇 질문에 ${data.abandon_after_minutes}분 넘게 무응답` },
    csatCard,
  ];
}

function renderCards(data, role) {
  const node = byId('cards');
  clear(node);
  for (const card of cardsFor(data, role)) {
    node.append(h('div', { class: 'card', dataset: { metric: card.key } },
      h('div', { class: 'card-label' }, card.label),
      h('div', { class: 'card-value' }, card.value),
      h('div', { class: 'card-sub' }, card.sub)));
  }
}

// ---- charts ------------------------------------------------------------------------------------

function draw(id, config) {
  if (charts[id]) {
    charts[id].data = config.data;
    charts[id].update('none');
    return;
  }
  charts[id] = new window.Chart(byId(id), config);
}

function renderCharts(data) {
  const days = data.by_day;
  const labels = days.map((d) => d.day.slice(5).replace('-', '/'));
  draw('chart-days', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: '챗봇 해결', data: days.map((d) => d.contained), backgroundColor: COLORS.brand, stack: 'c', order: 2 },
        { label: '상담 연결', data: days.map((d) => d.handed_off), backgroundColor: COLORS.seller, stack: 'c', order: 2 },
        { label: '자동 해결률', data: days.map((d) => (d.containment_rate === null ? null : d.containment_rate * 100)),
          type: 'line', yAxisID: 'rate', borderColor: COLORS.agent, backgroundColor: COLORS.agent, pointRadius: 2, order: 1 },
      ],
    },
    options: {
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: '대화 수' } },
        rate: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: '%' } },
      },
    },
  });
  draw('chart-hours', {
    type: 'bar',
    data: { labels: data.by_hour.map((r) => `${r.hour}시`), datasets: [{ label: '문의 대화', data: data.by_hour.map((r) => r.conversations), backgroundColor: COLORS.brand }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  draw('chart-reasons', {
    type: 'doughnut',
    data: { labels: data.handoffs_by_reason.map((r) => r.label), datasets: [{ data: data.handoffs_by_reason.map((r) => r.count), backgroundColor: PALETTE }] },
    options: { maintainAspectRatio: false, plugins: { legend: { position: 'right' } } },
  });
  draw('chart-intents', {
    type: 'bar',
    data: { labels: data.top_intents.map((r) => r.label), datasets: [{ label: '대화 수', data: data.top_intents.map((r) => r.count), backgroundColor: COLORS.agent }] },
    options: { indexAxis: 'y', maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const stars = ['1', '2', '3', '4', '5'];
  draw('chart-csat', {
    type: 'bar',
    data: { labels: stars.map((s) => `${s}점`), datasets: [{ label: '응답 수', data: stars.map((s) => data.csat.distribution[s] || 0), backgroundColor: ['#dc2626', '#f97316', '#eab308', '#65a30d', '#0f7a4a'] }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

// ---- tables ------------------------------------------------------------------------------------

const TABLES = [
  { table: 'agents', title: '상담원별 처리', rows: (d) => d.agents, agentsOnly: true, wide: true, columns: [
    ['상담원', (r) => r.name], ['담당 티켓', (r) => number(r.tickets)], ['첫 응답 중앙값', (r) => duration(r.first_response_median_s)],
    ['첫 응답 평균', (r) => duration(r.first_response_avg_s)], ['해결 시간 중앙값', (r) => duration(r.resolution_median_s)]] },
  { table: 'sellers', title: '판매자별 답변 (24시간 기한)', rows: (d) => d.sellers, wide: true, columns: [
    ['판매자', (r) => r.name], ['문의', (r) => number(r.tickets)], ['기한 도래', (r) => number(r.due)],
    ['24시간 내 답변율', (r) => percent(r.within_24h_rate)], ['답변 시간 중앙값', (r) => duration(r.median_answer_s)],
    ['상담원 이관', (r) => number(r.escalations)]] },
  { table: 'handoffs', title: '상담 연결 사유', rows: (d) => d.handoffs_by_reason, columns: [
    ['사유', (r) => r.label], ['건수', (r) => number(r.count)], ['비율', (r) => percent(r.share)]] },
  { table: 'targets', title: '연결 대상', rows: (d) => d.handoffs_by_target, columns: [
    ['대상', (r) => r.label], ['건수', (r) => number(r.count)], ['비율', (r) => percent(r.share)]] },
  { table: 'intents', title: '많이 묻는 문의 유형', rows: (d) => d.top_intents, columns: [
    ['유형', (r) => r.label], ['대화 수', (r) => number(r.count)]] },
  { table: 'faq', title: '자주 묻는 질문 주제', rows: (d) => d.faq_topics, columns: [
    ['주제', (r) => r.label], ['대화 수', (r) => number(r.count)]] },
  { table: 'by_day', title: '일별 현황', rows: (d) => [...d.by_day].reverse(), wide: true, columns: [
    ['날짜', (r) => r.day], ['문의 대화', (r) => number(r.conversations)], ['챗봇 해결', (r) => number(r.contained)],
    ['상담 연결', (r) => number(r.handed_off)], ['폴백 대화', (r) => number(r.with_fallback)], ['자동 해결률', (r) => percent(r.containment_rate)]] },
];

function renderTables(data, role, range) {
  const node = byId('tables');
  clear(node);
  for (const spec of TABLES) {
    if (spec.agentsOnly && role === 'seller') continue;
    const rows = spec.rows(data);
    const body = rows.length
      ? h('table', {},
        h('thead', {}, h('tr', {}, spec.columns.map(([title]) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, rows.map((row) => h('tr', {}, spec.columns.map(([, cell]) => h('td', {}, cell(row)))))))
      : h('p', { class: 'dash-empty' }, '이 기간에는 데이터가 없어요.');
    node.append(h('section', { class: `dash-table${spec.wide ? ' dash-table--wide' : ''}`, dataset: { table: spec.table } },
      h('header', {}, h('h2', {}, spec.title),
        h('button', { type: 'button', class: 'btn btn--small', onclick: () => downloadCsv(spec.table, range) }, 'CSV 내보내기')),
      body));
  }
}

async function downloadCsv(table, range) {
  const query = new URLSearchParams({ from: range.from, to: range.to, format: 'csv', table });
  const response = await fetch(`/api/staff/analytics?${query}`, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) {
    setStatus('CSV를 내려받지 못했어요. 잠시 후 다시 시도해 주세요.', 'error');
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: `analytics-${table}-${range.from}-${range.to}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- loading -----------------------------------------------------------------------------------

function setStatus(text, kind = 'info') {
  const node = byId('range-status');
  node.textContent = text;
  node.dataset.kind = kind;
}

let generation = 0;

async function load(range) {
  const mine = ++generation;
  const started = performance.now();
  document.body.dataset.state = 'loading';
  setStatus('불러오는 중…');
  try {
    const data = await api.get(`/api/staff/analytics?from=${range.from}&to=${range.to}`);
    if (mine !== generation) return;
    const role = data.scope.role;
    renderCards(data, role);
    renderCharts(data);
    renderTables(data, role, range);
    const ms = Math.round(performance.now() - started);
    setStatus(`${range.from} ~ ${range.to} · ${ms}ms`);
    document.body.dataset.range = `${range.from}..${range.to}`;
    document.body.dataset.renderMs = String(ms);
    document.body.dataset.state = 'ready';
  } catch (err) {
    if (mine !== generation) return;
    setStatus(err.message, 'error');
    document.body.dataset.state = 'error';
  }
}

function currentRange() {
  return { from: byId('range-from').value, to: byId('range-to').value };
}

function setRange(days) {
  byId('range-from').value = kstDay(days - 1);
  byId('range-to').value = kstDay(0);
}

function boot() {
  if (!session.active || !window.Chart) {
    needLogin();
    if (!window.Chart) byId('need-login').textContent = '차트 라이브러리를 불러오지 못했어요. 관리자에게 `make install`(npm ci) 실행을 요청해 주세요.';
    return;
  }
  window.Chart.defaults.animation = false;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const user = session.user || {};
  byId('me-name').textContent = user.display_name || user.username || '';
  byId('me-role').textContent = ROLE_LABELS[user.role] || '';
  byId('me-role').dataset.role = user.role || '';
  if (user.role === 'seller') byId('page-title').textContent = '우리 상점 통계';
  byId('dashboard').hidden = false;
  const params = new URLSearchParams(window.location.search);
  if (params.get('from') && params.get('to')) {
    byId('range-from').value = params.get('from');
    byId('range-to').value = params.get('to');
  } else {
    setRange(28);
  }
  byId('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const range = currentRange();
    if (!range.from || !range.to) return setStatus('시작일과 종료일을 선택해 주세요.', 'error');
    if (range.from > range.to) return setStatus('시작일이 종료일보다 늦어요.', 'error');
    history.replaceState(null, '', `?from=${range.from}&to=${range.to}`);
    return load(range);
  });
  for (const button of document.querySelectorAll('[data-days]')) {
    button.addEventListener('click', () => {
      setRange(Number(button.dataset.days));
      byId('range-form').requestSubmit();
    });
  }
  load(currentRange());
}

boot();
