/*
 * Connect host simulator — not Atlassian.
 *
 * host.js: the product side of the Connect JavaScript API, on the simulator's pages. It answers the
 * messages all.js sends from app iframes: resizing, flags, context and context tokens, AP.request
 * (forwarded to the simulator with the signed-in user's identity). A message is obeyed only when it
 * comes from one of this page's app iframes (event.source) and from the origin that iframe was loaded
 * from (event.origin); answers go to that origin only.
 *
 * It is also the host side of the Forge Custom UI bridge for Forge iframes (messages from forge-bridge.js):
 * getContext, invoke (invokeRemote), showFlag, closeFlag and resizing; any other bridge call is rejected
 * in the iframe, printed here and recorded in the simulator's log.
 */
(function () {
  'use strict';

  var PREFIX = '[Connect host simulator]';

  // Loaded in <head>, before the iframes exist, so that no early message (init, resize) is missed;
  // the page itself is read when a message arrives.
  function siteBase() {
    return document.body.getAttribute('data-site-base');
  }

  function frames() {
    return Array.prototype.slice.call(document.querySelectorAll('iframe[data-ap-channel]'));
  }

  function frameOf(source) {
    return frames().filter(function (f) { return f.contentWindow === source; })[0];
  }

  function reply(frame, id, result, error) {
    if (id === null || id === undefined) return;
    var message = { __apsim: 1, channel: frame.dataset.apChannel, id: id };
    if (error) message.error = String(error);
    else message.result = result;
    frame.contentWindow.postMessage(message, frame.dataset.appOrigin);
  }

  function postJson(path, body) {
    return fetch(siteBase() + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    }).then(function (response) {
      return response.json().then(function (value) {
        if (!response.ok) throw new Error(value.error || 'the simulator answered ' + response.status);
        return value;
      });
    });
  }

  function cssLength(value) {
    if (value === undefined || value === null) return null;
    var match = /^(\d+(?:\.\d+)?)(px|%)?$/.exec(String(value).trim());
    if (!match) {
      console.error(PREFIX, 'AP.resize: ignored the size', value, '(use a number, "123px" or "50%")');
      return null;
    }
    return match[1] + (match[2] || 'px');
  }

  function fillParent(frame) {
    var top = frame.getBoundingClientRect().top + window.scrollY;
    frame.style.height = Math.max(150, window.innerHeight - top - 16) + 'px';
  }

  var handlers = {
    init: function (frame) {
      frame.setAttribute('data-ap-ready', 'true');
      console.info(PREFIX, 'all.js connected in', frame.dataset.appKey + '/' + frame.dataset.moduleKey);
    },
    resize: function (frame, width, height) {
      if (frame.dataset.sizeToParent === 'true') return;
      var w = cssLength(width);
      var h = cssLength(height);
      if (w) frame.style.width = w;
      if (h) frame.style.height = h;
    },
    sizeToParent: function (frame) {
      if (frame.dataset.moduleType !== 'page') {
        console.error(PREFIX, 'AP.sizeToParent() works in general pages, not in', frame.dataset.moduleType, frame.dataset.moduleKey);
        return;
      }
      if (frame.dataset.sizeToParent !== 'true') {
        frame.dataset.sizeToParent = 'true';
        window.addEventListener('resize', function () { fillParent(frame); });
      }
      fillParent(frame);
    },
    'context.getContext': function (frame) {
      return JSON.parse(frame.dataset.context || '{}');
    },
    'context.getToken': function (frame) {
      return postJson('/_host/context-token', {
        appKey: frame.dataset.appKey,
        moduleKey: frame.dataset.moduleKey,
        issueKey: frame.dataset.issueKey || undefined,
      }).then(function (value) { return value.token; });
    },
    request: function (frame, options) {
      var o = options || {};
      if (typeof o.url !== 'string') throw new Error('AP.request needs a url');
      return postJson('/_host/request', { appKey: frame.dataset.appKey, url: o.url, type: o.type || 'GET', data: o.data, contentType: o.contentType });
    },
    'flag.create': function (frame, options) {
      showFlag(frame.dataset.apChannel + ':' + options.id, options);
    },
    'flag.close': function (frame, id) {
      var el = document.querySelector('[data-flag-id="' + CSS.escape(frame.dataset.apChannel + ':' + id) + '"]');
      if (el) el.remove();
    },
    unsupported: function (frame, name) {
      console.error(PREFIX, frame.dataset.appKey + ' called ' + name + '(), which the simulator does not support.');
    },
  };

  function showFlag(id, options) {
    var container = document.getElementById('ac-flags');
    var type = ['info', 'success', 'warning', 'error'].indexOf(options.type) === -1 ? 'info' : options.type;
    var flag = document.createElement('div');
    flag.className = 'ac-flag ac-flag-' + type;
    flag.setAttribute('role', type === 'error' || type === 'warning' ? 'alert' : 'status');
    flag.setAttribute('data-flag-id', id);
    var title = document.createElement('strong');
    title.className = 'ac-flag-title';
    title.textContent = options.title || '';
    flag.appendChild(title);
    if (options.body) {
      var body = document.createElement('p');
      body.className = 'ac-flag-body';
      body.textContent = options.body; // text, never markup: the app does not get to script the product page
      flag.appendChild(body);
    }
    if (options.close !== 'never') {
      var close = document.createElement('button');
      close.type = 'button';
      close.className = 'ac-flag-close';
      close.setAttribute('aria-label', 'Dismiss');
      close.textContent = '×';
      close.addEventListener('click', function () { flag.remove(); });
      flag.appendChild(close);
    }
    if (options.close === 'auto') setTimeout(function () { flag.remove(); }, 8000);
    container.appendChild(flag);
  }

  // ---- Forge: the host side of the Custom UI bridge (forge-bridge.js is the iframe side) ----

  function forgeFrames() {
    return Array.prototype.slice.call(document.querySelectorAll('iframe[data-forge-module]'));
  }

  var forgeHandlers = {
    getContext: function (frame) {
      return JSON.parse(frame.dataset.forgeContext || '{}');
    },
    invoke: function (frame, payload) {
      var p = payload || {};
      // invokeRemote / invokeService set invokeType; a plain invoke() calls a Forge function resolver.
      if (p.invokeType !== 'ui-remote-fetch') throw unsupported(frame, 'invoke (' + (p.invokeType || 'function resolver ' + p.functionKey) + ')');
      return postJson('/_forge/invoke', {
        appId: frame.dataset.forgeApp,
        moduleKey: frame.dataset.forgeModule,
        issueKey: frame.dataset.issueKey || undefined,
        request: { path: p.path, method: p.method, headers: p.headers, body: p.body },
      });
    },
    showFlag: function (frame, options) {
      var o = options || {};
      showFlag(frame.dataset.forgeModule + ':' + o.id, {
        title: o.title, body: o.description, type: o.appearance || o.type, close: o.isAutoDismiss ? 'auto' : 'manual',
      });
    },
    closeFlag: function (frame, options) {
      var el = document.querySelector('[data-flag-id="' + CSS.escape(frame.dataset.forgeModule + ':' + (options || {}).id) + '"]');
      if (el) el.remove();
      return true;
    },
  };

  function unsupported(frame, name) {
    console.error(PREFIX, 'the Forge app called the bridge method "' + name + '" from ' + frame.dataset.forgeModule + ', which the simulator does not support.');
    postJson('/_forge/unsupported', { name: name, moduleKey: frame.dataset.forgeModule }).catch(function () {});
    return new Error('The bridge method "' + name + '" is not supported by the Connect host simulator');
  }

  function onForgeMessage(event, data) {
    var frame = forgeFrames().filter(function (f) { return f.contentWindow === event.source; })[0];
    if (!frame) {
      console.error(PREFIX, 'ignored a bridge message from a window that is not a Forge iframe of this page');
      return;
    }
    if (event.origin !== frame.dataset.forgeOrigin) {
      console.error(PREFIX, 'ignored a bridge message from', event.origin, 'for', frame.dataset.forgeModule);
      return;
    }
    if (data.type === 'resize') {
      var height = Number(data.height);
      if (height > 0 && height < 20000) frame.style.height = Math.max(40, Math.ceil(height)) + 'px';
      return;
    }
    var answer = function (result, error) {
      var message = { __forgesim: 1, id: data.id };
      if (error) message.error = String(error);
      else message.result = result;
      frame.contentWindow.postMessage(message, frame.dataset.forgeOrigin);
    };
    var handler = Object.prototype.hasOwnProperty.call(forgeHandlers, data.name) ? forgeHandlers[data.name] : null;
    Promise.resolve()
      .then(function () {
        if (!handler) throw unsupported(frame, data.name);
        return handler(frame, data.payload);
      })
      .then(function (result) { answer(result); })
      .catch(function (err) { answer(null, err.message); });
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (data && data.__forgesim === 1) return onForgeMessage(event, data);
    if (!data || data.__apsim !== 1) return;
    var frame = frameOf(event.source);
    if (!frame) {
      console.error(PREFIX, 'ignored an AP message from a window that is not an app iframe of this page');
      return;
    }
    if (event.origin !== frame.dataset.appOrigin || data.channel !== frame.dataset.apChannel) {
      console.error(PREFIX, 'ignored an AP message: origin', event.origin, 'and channel', data.channel, 'do not match the iframe of', frame.dataset.appKey);
      return;
    }
    var handler = Object.prototype.hasOwnProperty.call(handlers, data.method) ? handlers[data.method] : null;
    if (!handler) {
      console.error(PREFIX, frame.dataset.appKey + ' called AP.' + data.method + '(), which the simulator does not support.');
      reply(frame, data.id, null, 'AP.' + data.method + ' is not supported by the Connect host simulator');
      return;
    }
    Promise.resolve()
      .then(function () { return handler.apply(null, [frame].concat(data.args || [])); })
      .then(function (result) { reply(frame, data.id, result); })
      .catch(function (err) {
        console.error(PREFIX, 'AP.' + data.method + ' failed for', frame.dataset.appKey + ':', err.message);
        reply(frame, data.id, null, err.message);
      });
  });
})();
