/*
 * A stand-in for Juzi's helper script (docs/hosts.md, "Juzi"), loaded by the page from
 * JUZI_HELPER_URL. Like the real one it gives the page `window.juziWx`, and `window.wx` too when
 * nothing else claimed it (then wx.isJuziWx is true). It answers nothing itself: each call goes
 * to the frame above (the stand-in console, on Juzi's origin) by postMessage, and the console
 * asks the Juzi stand-in, which plays the system sidebar and records the call.
 *
 *   juziWx.invoke(name, params, callback)     getCurExternalContact, getCurExternalChat,
 *                                             sendChatMessage: callback({err_msg, ...})
 *   juziWx.getCurChatInfo({success, fail})
 *   juziWx.openEnterpriseChat({userIds, externalUserIds, chatId, success, fail})
 *   juziWx.previewImage({current, urls})
 */
(function () {
  "use strict";

  var pending = {};
  var next = 1;
  var framed = window.parent !== window;

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || !event.data.juziAnswer) return;
    var done = pending[event.data.juziAnswer];
    if (!done) return;
    delete pending[event.data.juziAnswer];
    done(event.data.answer || {});
  });

  function ask(call, params, done) {
    if (!framed) {
      setTimeout(function () { done({ err_msg: call + ":fail not in Juzi's system sidebar" }); }, 0);
      return;
    }
    var id = "juzi-" + next++;
    pending[id] = done;
    // The console checks where the question came from; the page's own data is all it carries.
    window.parent.postMessage({ juziCall: id, call: call, params: JSON.parse(JSON.stringify(params || {})) }, "*");
  }

  function ok(answer) {
    return /:ok$/.test(String(answer.err_msg || ""));
  }

  function withoutCallbacks(options) {
    var params = {};
    Object.keys(options || {}).forEach(function (key) {
      if (typeof options[key] !== "function") params[key] = options[key];
    });
    return params;
  }

  function successOrFail(call, options) {
    ask(call, withoutCallbacks(options), function (answer) {
      var callback = ok(answer) ? options && options.success : options && options.fail;
      if (callback) callback(answer);
    });
  }

  var juziWx = {
    isJuziWx: true,
    invoke: function (name, params, callback) {
      ask(name, params, function (answer) {
        if (callback) callback(answer);
      });
    },
    getCurChatInfo: function (options) {
      successOrFail("getCurChatInfo", options);
    },
    openEnterpriseChat: function (options) {
      successOrFail("openEnterpriseChat", options);
    },
    previewImage: function (options) {
      ask("previewImage", withoutCallbacks(options), function () {});
    },
  };
  window.juziWx = juziWx;
  if (!window.wx) window.wx = juziWx;
})();
