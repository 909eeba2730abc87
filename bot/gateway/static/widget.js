// Entry point of the shop page: the customer chat widget, and who the customer is.
// Demo mode (the gateway says so in GET /api/me): the demo bar picks a customer.
// Otherwise the shop's signed token on the page identifies the customer (js/identity.js).

import { createApi } from './js/api.js';
import { ChatWidget } from './js/chat-widget.js';
import { DemoLogin } from './js/demo-login.js';
import { identify } from './js/identity.js';
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
  const login = new DemoLogin(api, { bar: byId('demo-bar'), select: byId('login-select'), status: byId('login-status') },
    (me) => {
      widget.start(me);
    });
  const input = byId('chat-input');
  input.disabled = true; // nothing typed may go to the session that identify is about to replace
  let me = await login.init();
  let refused = null;
  if (me && !me.demo) me = await identify(api, (message) => { refused = message; });
  input.disabled = false;
  await widget.start(me);
  if (refused) widget.showNotice(refused, { kind: 'error' });
}

main();
