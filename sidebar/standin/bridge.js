/*
 * A stand-in for the WeCom client's native bridge (window.WeixinJSBridge), installed beneath
 * the unmodified @wecom/jssdk. It answers as the client does:
 *
 * - config (the SDK invokes it as preVerifyJSAPI) and agentConfig are checked by
 *   `verify(kind, params, url)`: SHA-1 with the tickets the WeCom API stand-in issued, over the
 *   current URL without its fragment. Failures answer "<api>:invalid signature" etc.
 * - Clients older than 3.0.24 need config before agentConfig and have no getContext.
 * - getContext answers with the chosen entry; getCurExternalContact needs a successful
 *   agentConfig ("no permission") and an entry with a customer ("without context ...").
 *
 * Configure before this script runs: window.__WECOM_BRIDGE__ = {chat: {entry, userId}, verify}.
 * What was invoked, and answered, is kept in window.__WECOM_BRIDGE_LOG__.
 */
(function () {
  "use strict";

  var options = window.__WECOM_BRIDGE__ || {};
  var chat = options.chat || { entry: "normal" };
  var log = (window.__WECOM_BRIDGE_LOG__ = []);
  var state = { config: false, agentConfig: false };
  var match = navigator.userAgent.match(/wxwork\/([\d.]+)/i);
  var version = match ? match[1] : "0";
  var CONTACT_ENTRIES = ["single_chat_tools", "contact_profile", "single_kf_tools"];

  function olderThan(v, than) {
    var a = v.split("."), b = than.split(".");
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      var x = parseInt(a[i], 10) || 0, y = parseInt(b[i], 10) || 0;
      if (x !== y) return x < y;
    }
    return false;
  }

  function currentUrl() {
    return location.href.split("#")[0];
  }

  var handlers = {
    preVerifyJSAPI: function (p) {
      var params = {
        corpid: p.verifyAppId, timestamp: p.verifyTimestamp,
        nonceStr: p.verifyNonceStr, signature: p.verifySignature,
      };
      return Promise.resolve(options.verify("corp", params, currentUrl())).then(function (word) {
        state.config = word === "ok";
        return { err_msg: "config:" + word };
      });
    },
    agentConfig: function (p) {
      if (olderThan(version, "3.0.24") && !state.config) {
        return { err_msg: "agentConfig:fail config is required first" };
      }
      var params = {
        corpid: p.corpid, agentid: p.agentid, timestamp: p.timestamp,
        nonceStr: p.nonceStr, signature: p.signature,
      };
      return Promise.resolve(options.verify("agent", params, currentUrl())).then(function (word) {
        state.agentConfig = word === "ok";
        return { err_msg: "agentConfig:" + word };
      });
    },
    getContext: function () {
      if (olderThan(version, "3.0.24")) return { err_msg: "getContext:fail function not exist" };
      if (!state.config && !state.agentConfig) return { err_msg: "getContext:fail no permission" };
      return { err_msg: "getContext:ok", entry: chat.entry };
    },
    getCurExternalContact: function () {
      if (!state.agentConfig) return { err_msg: "getCurExternalContact:fail no permission" };
      if (CONTACT_ENTRIES.indexOf(chat.entry) === -1 || !chat.userId) {
        return { err_msg: "getCurExternalContact:fail without context of external contact" };
      }
      return { err_msg: "getCurExternalContact:ok", userId: chat.userId };
    },
  };

  window.WeixinJSBridge = {
    invoke: function (name, params, callback) {
      var entry = { name: name, params: params };
      log.push(entry);
      Promise.resolve()
        .then(function () {
          var handler = handlers[name];
          return handler ? handler(params || {}) : { err_msg: name + ":fail function not exist" };
        })
        .then(function (result) {
          entry.result = result;
          callback(result);
        });
    },
    on: function () {},
    call: function () {},
  };
})();
