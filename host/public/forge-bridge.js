/*
 * Connect host simulator — not Atlassian.
 *
 * forge-bridge.js: the iframe side of the Custom UI bridge. Forge's hosting gives every Custom UI page a
 * `window.__bridge` before the app's scripts run; the real @forge/bridge package calls
 * `__bridge.callBridge(name, payload)` and awaits the answer. This stand-in posts each call to the
 * product page (host.js), which answers it or rejects it by name, and reports the content's height so
 * the product can size the iframe (Forge does that with iframe-resizer; the app calls nothing for it).
 */
(function () {
  'use strict';

  var script = document.currentScript;
  var product = new URL(script.src).searchParams.get('product');
  var pending = {};
  var nextId = 1;

  function post(message) {
    message.__forgesim = 1;
    window.parent.postMessage(message, product);
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    // Only the product page that framed this resource may answer.
    if (event.source !== window.parent || event.origin !== product || !data || data.__forgesim !== 1) return;
    var call = pending[data.id];
    if (!call) return;
    delete pending[data.id];
    if (data.error) call.reject(new Error(data.error));
    else call.resolve(data.result);
  });

  window.__bridge = {
    callBridge: function (name, payload) {
      return new Promise(function (resolve, reject) {
        var id = nextId++;
        pending[id] = { resolve: resolve, reject: reject };
        try {
          post({ id: id, name: name, payload: payload });
        } catch (err) {
          delete pending[id];
          reject(err); // a payload that cannot be cloned (a function, a DOM node)
        }
      });
    },
  };

  var lastHeight = 0;
  function reportHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      post({ type: 'resize', height: height });
    }
  }
  window.addEventListener('DOMContentLoaded', function () {
    document.documentElement.style.height = 'auto';
    document.body.style.height = 'auto';
    new ResizeObserver(reportHeight).observe(document.body);
    reportHeight();
  });
})();
