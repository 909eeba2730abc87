// The end-of-conversation rating: 1-5 stars and an optional comment, asked once per conversation.
// After the bot or a person has spoken and nothing else follows for a moment, the widget asks the
// server whether the conversation has just ended (goodbye, thanks, handed back, closed); only
// then the card appears. A new customer message removes an unanswered card: never mid-task.

import { h } from './dom.js';

const STATE_PATH = '/api/conversation/csat';
const QUIET_MS = 1200;
const STAR_WORDS = ['매우 불만족', '불만족', '보통', '만족', '매우 만족'];

export class CsatSurvey {
  /** list: the message list; the card goes at its end. onChange(): scroll after it appears. */
  constructor(api, list, { onChange = () => {} } = {}) {
    this.api = api;
    this.list = list;
    this.onChange = onChange;
    this.timer = null;
    this.card = null;
    this.done = false;
  }

  /** Forget everything (a new conversation). */
  reset() {
    clearTimeout(this.timer);
    this.remove();
    this.done = false;
  }

  /** The bot or a person spoke: ask the server after a quiet moment. */
  schedule() {
    if (this.done || this.card) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), QUIET_MS);
  }

  /** The customer spoke: a task goes on, no survey now. */
  cancel() {
    clearTimeout(this.timer);
    if (this.card && !this.card.dataset.sent) this.remove();
  }

  async check() {
    try {
      const state = await this.api.get(STATE_PATH);
      if (state.rated) this.done = true;
      if (!state.ask || this.done || this.card) return;
      this.show();
      await this.api.post(`${STATE_PATH}/shown`, {});
    } catch {
      /* no survey this time */
    }
  }

  show() {
    this.done = true; // once per conversation, answered or not
    let score = 0;
    const stars = STAR_WORDS.map((word, i) => h('button', {
      type: 'button', class: 'csat-star', 'aria-label': `${i + 1}점 ${word}`, title: word, dataset: { score: String(i + 1) },
      onclick: () => {
        score = i + 1;
        stars.forEach((star, j) => star.classList.toggle('is-on', j < score));
        submit.disabled = false;
        hint.textContent = word;
      },
    }, '★'));
    const hint = h('span', { class: 'csat-hint' }, '별을 눌러 주세요');
    const comment = h('textarea', { class: 'csat-comment', rows: '2', maxlength: '500', placeholder: '의견을 남겨 주세요 (선택)' });
    const error = h('p', { class: 'csat-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'csat-submit', disabled: true }, '평가 보내기');
    const form = h('form', { class: 'csat-card', 'aria-label': '상담 만족도 평가' },
      h('p', { class: 'csat-title' }, '오늘 상담은 어떠셨나요?'),
      h('div', { class: 'csat-stars', role: 'group', 'aria-label': '별점' }, stars),
      hint, comment, error,
      h('div', { class: 'csat-actions' },
        h('button', { type: 'button', class: 'csat-close', onclick: () => this.remove() }, '닫기'),
        submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!score) return;
      submit.disabled = true;
      try {
        await this.api.post(STATE_PATH, { score, comment: comment.value.trim() });
        form.dataset.sent = 'true';
        form.replaceChildren(h('p', { class: 'csat-thanks' }, '평가해 주셔서 감사해요!'));
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        submit.disabled = false;
      }
    });
    this.card = form;
    this.list.append(form);
    this.onChange();
  }

  remove() {
    if (this.card) this.card.remove();
    this.card = null;
  }
}
