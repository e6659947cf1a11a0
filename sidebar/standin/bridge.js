/*
 * A stand-in for the WeCom client's native bridge (window.WeixinJSBridge), installed beneath
 * the unmodified @wecom/jssdk. It answers as the client does:
 *
 * - config (the SDK invokes it as preVerifyJSAPI) and agentConfig are checked by
 *   `verify(kind, params, url)`: SHA-1 with the tickets the WeCom API stand-in issued, over the
 *   current URL without its fragment. Failures answer "<api>:invalid signature" etc.
 * - Clients older than 3.0.24 need config before agentConfig and have no getContext; APIs newer
 *   than the client answer "function not exist".
 * - The toolbar APIs need a successful agentConfig ("no permission") and an entry that has
 *   what they ask for ("without context of ...").
 *
 * Configure before this script runs:
 *   window.__WECOM_BRIDGE__ = {chat, verify, onMessage?}
 * where `chat` is {entry, userId?, chatId?, corpId?} or a function returning one (asked at
 * every call, so the chat can change under an open page). What was invoked and answered is kept
 * in window.__WECOM_BRIDGE_LOG__; what sendChatMessage sent, in window.__WECOM_SENT__.
 */
(function () {
  "use strict";

  var options = window.__WECOM_BRIDGE__ || {};
  var log = (window.__WECOM_BRIDGE_LOG__ = []);
  var sent = (window.__WECOM_SENT__ = []);
  var state = { config: false, agentConfig: false };
  var match = navigator.userAgent.match(/wxwork\/([\d.]+)/i);
  var version = match ? match[1] : "0";

  var CONTACT_ENTRIES = ["single_chat_tools", "contact_profile", "single_kf_tools"];
  var CHAT_ENTRIES = ["single_chat_tools", "group_chat_tools", "single_kf_tools"];
  // The first client version that has each API (FACTS.md §3).
  var SINCE = {
    getContext: "3.0.24",
    getCurExternalChat: "2.8.17",
    getCurCorpGroupContact: "4.0.8",
    getCurCorpGroupChat: "4.0.12",
  };

  function olderThan(v, than) {
    var a = v.split("."), b = than.split(".");
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      var x = parseInt(a[i], 10) || 0, y = parseInt(b[i], 10) || 0;
      if (x !== y) return x < y;
    }
    return false;
  }

  function currentChat() {
    var chat = typeof options.chat === "function" ? options.chat() : options.chat;
    return chat || { entry: "normal" };
  }

  function currentUrl() {
    return location.href.split("#")[0];
  }

  function verified(kind, params, api) {
    return Promise.resolve(options.verify(kind, params, currentUrl())).then(function (word) {
      state[api] = word === "ok";
      return { err_msg: api + ":" + word };
    });
  }

  function withAgent(api, answer) {
    if (!state.agentConfig) return { err_msg: api + ":fail no permission" };
    return answer(currentChat());
  }

  var handlers = {
    preVerifyJSAPI: function (p) {
      var params = {
        corpid: p.verifyAppId, timestamp: p.verifyTimestamp,
        nonceStr: p.verifyNonceStr, signature: p.verifySignature,
      };
      return verified("corp", params, "config");
    },
    agentConfig: function (p) {
      if (olderThan(version, "3.0.24") && !state.config) {
        return { err_msg: "agentConfig:fail config is required first" };
      }
      var params = {
        corpid: p.corpid, agentid: p.agentid, timestamp: p.timestamp,
        nonceStr: p.nonceStr, signature: p.signature,
      };
      return verified("agent", params, "agentConfig");
    },
    getContext: function () {
      if (!state.config && !state.agentConfig) return { err_msg: "getContext:fail no permission" };
      return { err_msg: "getContext:ok", entry: currentChat().entry };
    },
    getCurExternalContact: function () {
      return withAgent("getCurExternalContact", function (chat) {
        if (CONTACT_ENTRIES.indexOf(chat.entry) === -1 || !chat.userId) {
          return { err_msg: "getCurExternalContact:fail without context of external contact" };
        }
        return { err_msg: "getCurExternalContact:ok", userId: chat.userId };
      });
    },
    getCurExternalChat: function () {
      return withAgent("getCurExternalChat", function (chat) {
        if (chat.entry !== "group_chat_tools" || !chat.chatId) {
          return { err_msg: "getCurExternalChat:fail without context of external contact" };
        }
        return { err_msg: "getCurExternalChat:ok", chatId: chat.chatId };
      });
    },
    getCurCorpGroupContact: function () {
      return withAgent("getCurCorpGroupContact", function (chat) {
        if (chat.entry !== "chain_single_chat_tools" || !chat.userId) {
          return { err_msg: "getCurCorpGroupContact:without context of corpgroup contact" };
        }
        return { err_msg: "getCurCorpGroupContact:ok", corpId: chat.corpId, userId: chat.userId };
      });
    },
    getCurCorpGroupChat: function () {
      return withAgent("getCurCorpGroupChat", function (chat) {
        if (chat.entry !== "chain_group_chat_tools" || !chat.chatId) {
          return { err_msg: "getCurCorpGroupChat:without context of corpgroup contact" };
        }
        return { err_msg: "getCurCorpGroupChat:ok", chatId: chat.chatId };
      });
    },
    sendChatMessage: function (p) {
      return withAgent("sendChatMessage", function (chat) {
        if (CHAT_ENTRIES.indexOf(chat.entry) === -1) {
          return { err_msg: "sendChatMessage:fail without context of external contact" };
        }
        var message = { chat: chat, message: p };
        sent.push(message);
        if (options.onMessage) options.onMessage(message);
        return { err_msg: "sendChatMessage:ok" };
      });
    },
  };

  function answer(name, params) {
    if (SINCE[name] && olderThan(version, SINCE[name])) {
      return { err_msg: name + ":fail function not exist" };
    }
    var handler = handlers[name];
    return handler ? handler(params || {}) : { err_msg: name + ":fail function not exist" };
  }

  window.WeixinJSBridge = {
    invoke: function (name, params, callback) {
      var entry = { name: name, params: params };
      log.push(entry);
      Promise.resolve()
        .then(function () {
          return answer(name, params);
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
