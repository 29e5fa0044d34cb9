/*
 * Connect host simulator — not Atlassian.
 *
 * all.js: the app side ("plugin" side) of the Connect JavaScript API, for app iframes shown by the local
 * simulator. The app loads it from `<site base URL>/atlassian-connect/all.js`, exactly as it loads
 * Atlassian's from a real site. It implements the part of `AP` the sample app uses, with Atlassian's
 * signatures (https://developer.atlassian.com/cloud/jira/platform/about-the-javascript-api/):
 *
 *   AP.context.getToken(callback?)  → Promise<string>   a context JWT (qsh "context-qsh") for the app's own API
 *   AP.context.getContext(callback?) → Promise<object>  { jira: { issue: {key, id}, project: {key, id} }, ... }
 *   AP.request(url | options, options?) → Promise<{ body, xhr }>, rejects { err, xhr };
 *                                   callbacks options.success(body, statusText, xhr), options.error(xhr, statusText, error)
 *   AP.flag.create({ title, body, type, close }) → { close() }
 *   AP.resize(width, height), AP.sizeToParent()
 *   automatic resizing to the height of `.ac-content` (or the body); turn it off with
 *   <script src=".../all.js" data-options="resize:false"> or use "sizeToParent:true".
 *
 * Anything else on AP fails loudly: console.error naming the method, here and in the host page.
 * Messages go only to the host origin named by the `xdm_e` parameter, and answers are accepted only from
 * the parent window at that origin.
 */
(function () {
  'use strict';

  var PREFIX = '[AP · Connect host simulator]';
  if (window.AP && window.AP._simulator) return;

  var script = document.currentScript;
  var connection = readConnection();
  var scriptOptions = readScriptOptions(script);
  var pending = {};
  var nextId = 1;

  /** The host origin and channel: from the iframe URL, else from the iframe's name (kept across in-frame navigations). */
  function readConnection() {
    var params = new URLSearchParams(window.location.search);
    var hostUrl = params.get('xdm_e');
    var channel = params.get('xdm_c');
    if (!hostUrl || !channel) {
      try {
        var fromName = JSON.parse(window.name || '{}');
        hostUrl = hostUrl || fromName.xdm_e;
        channel = channel || fromName.xdm_c;
      } catch (e) {
        // not ours
      }
    }
    if (!hostUrl || !channel || window.parent === window) {
      console.error(PREFIX, 'this page is not inside a Connect iframe (no xdm_e/xdm_c parameters): AP calls will fail.');
      return null;
    }
    try {
      return { hostOrigin: new URL(hostUrl).origin, channel: channel };
    } catch (e) {
      console.error(PREFIX, 'xdm_e is not a URL:', hostUrl);
      return null;
    }
  }

  /** `data-options="resize:false;sizeToParent:true"` on the script tag, as with Atlassian's all.js. */
  function readScriptOptions(el) {
    var options = { resize: true, sizeToParent: false };
    var raw = el && el.getAttribute('data-options');
    if (!raw) return options;
    raw.split(';').forEach(function (pair) {
      var parts = pair.split(':');
      var name = (parts[0] || '').trim();
      var value = (parts[1] || '').trim();
      if (name) options[name] = value === 'true' ? true : value === 'false' ? false : value;
    });
    return options;
  }

  function post(message) {
    if (!connection) return false;
    message.__apsim = 1;
    message.channel = connection.channel;
    window.parent.postMessage(message, connection.hostOrigin);
    return true;
  }

  /** A call the host answers. */
  function call(method, args, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var id = nextId++;
      if (!post({ id: id, method: method, args: args })) {
        reject(new Error('AP.' + method + ': not inside a Connect iframe'));
        return;
      }
      var timer = setTimeout(function () {
        delete pending[id];
        reject(new Error('AP.' + method + ': the host page did not answer'));
      }, timeoutMs || 15000);
      pending[id] = { resolve: resolve, reject: reject, timer: timer };
    });
  }

  /** A message that needs no answer. */
  function notify(method, args) {
    post({ id: null, method: method, args: args });
  }

  window.addEventListener('message', function (event) {
    if (!connection || event.source !== window.parent || event.origin !== connection.hostOrigin) return;
    var data = event.data;
    if (!data || data.__apsim !== 1 || data.channel !== connection.channel || !pending[data.id]) return;
    var p = pending[data.id];
    delete pending[data.id];
    clearTimeout(p.timer);
    if (data.error) p.reject(new Error(data.error));
    else p.resolve(data.result);
  });

  function withCallback(promise, callback) {
    return promise.then(function (value) {
      if (typeof callback === 'function') callback(value);
      return value;
    });
  }

  function cssSize(value) {
    if (value === undefined || value === null || value === '') return undefined;
    return typeof value === 'number' ? value + 'px' : String(value);
  }

  /** An XMLHttpRequest-like view of a bridged response, as AP.request hands out. */
  function xhrOf(response) {
    var headers = response.headers || {};
    return {
      status: response.status,
      statusText: response.statusText,
      responseText: response.body,
      getResponseHeader: function (name) {
        var wanted = String(name).toLowerCase();
        for (var key in headers) if (key.toLowerCase() === wanted) return headers[key];
        return null;
      },
      getAllResponseHeaders: function () {
        return Object.keys(headers).map(function (k) { return k + ': ' + headers[k]; }).join('\r\n');
      },
    };
  }

  function request(url, options) {
    var opts = typeof url === 'object' && url !== null ? Object.assign({}, url) : Object.assign({}, options || {}, { url: url });
    var success = opts.success;
    var error = opts.error;
    var data = opts.data;
    if (data !== undefined && typeof data !== 'string') {
      data = /json/i.test(opts.contentType || '') ? JSON.stringify(data) : new URLSearchParams(data).toString();
    }
    var payload = { url: opts.url, type: String(opts.type || 'GET').toUpperCase(), data: data, contentType: opts.contentType, headers: opts.headers };
    return call('request', [payload], 60000).then(function (response) {
      var xhr = xhrOf(response);
      if (response.status >= 200 && response.status < 300) {
        if (typeof success === 'function') success(response.body, 'success', xhr);
        return { body: response.body, xhr: xhr };
      }
      if (typeof error === 'function') {
        error(xhr, 'error', response.statusText);
        return undefined; // handled by the callback: no unhandled rejection on top
      }
      throw { err: response.statusText, xhr: xhr };
    });
  }

  var api = {
    _simulator: true,
    // Without arguments, as in Atlassian's all.js: fit the iframe to the content now.
    resize: function (width, height) {
      if (width === undefined && height === undefined) measureNow();
      else notify('resize', [cssSize(width), cssSize(height)]);
    },
    sizeToParent: function () {
      notify('sizeToParent', []);
    },
    context: {
      getToken: function (callback) {
        return withCallback(call('context.getToken', []), callback);
      },
      getContext: function (callback) {
        return withCallback(call('context.getContext', []), callback);
      },
    },
    flag: {
      create: function (options) {
        var id = 'flag-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 8);
        var o = options || {};
        notify('flag.create', [{ id: id, title: o.title, body: o.body, type: o.type || 'info', close: o.close || 'manual' }]);
        return {
          _id: id,
          close: function () {
            notify('flag.close', [id]);
          },
        };
      },
    },
    request: request,
  };

  // Probed by promises, frameworks and loggers: never treat them as AP calls.
  var NOT_CALLS = ['then', 'catch', 'toJSON', 'toString', 'valueOf', 'constructor', 'nodeType', '$$typeof', 'asymmetricMatch', 'prototype', 'length', 'name'];

  /** An unknown AP member: any property of it, or any call, reports the full name instead of failing silently. */
  function unsupported(path) {
    var fn = function () {
      console.error(PREFIX, path + '() is not supported by the Connect host simulator.');
      notify('unsupported', [path]);
      return Promise.reject(new Error(path + '() is not supported by the Connect host simulator'));
    };
    return new Proxy(fn, {
      get: function (target, prop) {
        if (typeof prop === 'symbol' || NOT_CALLS.indexOf(prop) !== -1) return undefined;
        return unsupported(path + '.' + prop);
      },
    });
  }

  function strict(target, path) {
    return new Proxy(target, {
      get: function (obj, prop) {
        if (typeof prop === 'symbol' || Object.prototype.hasOwnProperty.call(obj, prop)) {
          var value = obj[prop];
          return value && typeof value === 'object' ? strict(value, path + '.' + String(prop)) : value;
        }
        if (NOT_CALLS.indexOf(prop) !== -1) return undefined;
        return unsupported(path + '.' + prop);
      },
    });
  }

  window.AP = strict(api, 'AP');

  var lastHeight = -1;

  /** The height the content needs: the bottom of `.ac-content` (or of the body) and its margin. */
  function measureNow(onlyIfChanged) {
    var target = document.querySelector('.ac-content') || document.body;
    if (!target) return;
    var margin = parseFloat(getComputedStyle(target).marginBottom) || 0;
    var height = Math.ceil(target.getBoundingClientRect().bottom + window.scrollY + margin);
    if (onlyIfChanged && height === lastHeight) return;
    lastHeight = height;
    notify('resize', [undefined, height + 'px']);
  }

  function autoResize() {
    if (scriptOptions.sizeToParent) {
      api.sizeToParent();
      return;
    }
    if (scriptOptions.resize === false || typeof ResizeObserver === 'undefined') return;
    var scheduled = false;
    var watched = null;
    function schedule() {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(function () {
        scheduled = false;
        measureNow(true);
      });
    }
    var observer = new ResizeObserver(schedule);
    observer.observe(document.body);
    // Frameworks render `.ac-content` after load: start watching it when it appears.
    new MutationObserver(function () {
      var el = document.querySelector('.ac-content');
      if (el && el !== watched) {
        watched = el;
        observer.observe(el);
      }
      schedule();
    }).observe(document.body, { childList: true, subtree: true, attributes: true });
    schedule();
  }

  notify('init', [{ url: window.location.pathname }]);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoResize);
  else autoResize();
})();
