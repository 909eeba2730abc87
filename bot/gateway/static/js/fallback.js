// Classic (non-module) script: if the page's ES modules could not run (e.g. the file was opened
// from disk instead of through the server), show a Korean notice instead of a dead page.
(function () {
  'use strict';

  var SERVER_HINT = window.location.protocol === 'file:'
    ? '파일로 직접 열면 동작하지 않아요. 서버 주소로 열어 주세요.'
    : '잠시 후 새로고침해 주세요.';

  function byId(id) {
    return document.getElementById(id);
  }

  function shopFallback() {
    var status = byId('login-status');
    var select = byId('login-select');
    var launcher = byId('chat-launcher');
    var panel = byId('chat-panel');
    var notice = byId('chat-notice');
    var close = byId('chat-close');
    if (status) {
      status.textContent = '서버에 연결할 수 없어요. ' + SERVER_HINT;
      status.classList.add('is-error');
    }
    if (select) select.disabled = true;
    if (notice) {
      notice.textContent = '상담 기능을 불러오지 못했어요. ' + SERVER_HINT;
      notice.dataset.kind = 'error';
      notice.hidden = false;
    }
    ['chat-input', 'chat-send'].forEach(function (id) {
      if (byId(id)) byId(id).disabled = true;
    });
    if (launcher && panel) {
      launcher.addEventListener('click', function () {
        panel.hidden = !panel.hidden;
        launcher.setAttribute('aria-expanded', String(!panel.hidden));
      });
    }
    if (close && panel) {
      close.addEventListener('click', function () {
        panel.hidden = true;
      });
    }
  }

  function consoleFallback() {
    var error = byId('login-error');
    var submit = byId('login-submit');
    if (error) {
      error.textContent = '상담 콘솔을 불러오지 못했어요. ' + SERVER_HINT;
      error.hidden = false;
    }
    if (submit) submit.disabled = true;
  }

  window.addEventListener('load', function () {
    if (document.documentElement.dataset.app === 'ready') return;
    if (byId('chat-panel')) shopFallback();
    else if (byId('login-form')) consoleFallback();
  });
})();
