// Entry point of the demo shop page: demo login bar + customer chat widget.

import { createApi } from './js/api.js';
import { ChatWidget } from './js/chat-widget.js';
import { DemoLogin } from './js/demo-login.js';
import { initShopPage } from './js/shop-page.js';

const byId = (id) => document.getElementById(id);

// Tells js/fallback.js that the modules loaded (they cannot from file:// URLs).
document.documentElement.dataset.app = 'ready';

function createWidget(api) {
  return new ChatWidget(api, {
    launcher: byId('chat-launcher'),
    unread: byId('chat-unread'),
    panel: byId('chat-panel'),
    close: byId('chat-close'),
    status: byId('chat-status'),
    notice: byId('chat-notice'),
    list: byId('chat-messages'),
    hint: byId('chat-hint'),
    typing: byId('typing-indicator'),
    form: byId('chat-form'),
    input: byId('chat-input'),
    send: byId('chat-send'),
    counter: byId('chat-counter'),
  });
}

async function main() {
  initShopPage();
  const api = createApi();
  const widget = createWidget(api);
  const login = new DemoLogin(api, { select: byId('login-select'), status: byId('login-status') }, (me) => {
    widget.start(me);
  });
  const me = await login.init();
  await widget.start(me);
}

main();
