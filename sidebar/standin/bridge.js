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
 * - sendChatMessage is checked as the client checks it: an entry with a chat, the msgtype
 *   allowed there for this client version and platform, the fields each type requires, an
 *   http(s) imgUrl, a mini-program page ending in .html, and a mediaid the WeCom stand-in
 *   issued and that has not expired (`checkMedia`). The staff member may cancel (`confirm`).
 *
 * Configure before this script runs:
 *   window.__WECOM_BRIDGE__ = {chat, verify, checkMedia?, confirm?, onMessage?, onAction?}
 * where `chat` is {entry, userId?, chatId?, corpId?} or a function returning one (asked at
 * every call, so the chat can change under an open page); checkMedia(mediaid, type) answers
 * "ok", "expired", "unknown" or "wrong type"; confirm(message) answers false to cancel. What was
 * invoked and answered is kept in window.__WECOM_BRIDGE_LOG__; what sendChatMessage sent, in
 * window.__WECOM_SENT__; chats openEnterpriseChat opened and pictures previewImage showed
 * (the SDK invokes it as imagePreview), in window.__WECOM_OPENED_CHATS__ / __WECOM_PREVIEWED__;
 * what setClipboardData copied, in window.__WECOM_CLIPBOARD__.
 */
(function () {
  "use strict";

  var options = window.__WECOM_BRIDGE__ || {};
  var log = (window.__WECOM_BRIDGE_LOG__ = []);
  var sent = (window.__WECOM_SENT__ = []);
  var opened = (window.__WECOM_OPENED_CHATS__ = []);
  var previewed = (window.__WECOM_PREVIEWED__ = []);
  var clipboard = (window.__WECOM_CLIPBOARD__ = []);
  // setClipboardData: iOS and Android from 2.4.16, Windows and Mac from 3.1.2 (docs/wecom.md).
  var CLIPBOARD_SINCE = { ios: "2.4.16", android: "2.4.16" };
  var state = { config: false, agentConfig: false };
  var match = navigator.userAgent.match(/wxwork\/([\d.]+)/i);
  var version = match ? match[1] : "0";

  var CONTACT_ENTRIES = ["single_chat_tools", "contact_profile", "single_kf_tools"];
  var platform = /iPhone|iPad|iPod/.test(navigator.userAgent) ? "ios"
    : /Android/.test(navigator.userAgent) ? "android"
    : /Windows/.test(navigator.userAgent) ? "windows"
    : /Macintosh|Mac OS X/.test(navigator.userAgent) ? "mac" : "other";
  var MOBILE = platform === "ios" || platform === "android";
  // sendChatMessage: the entries that have a chat, and the first version of each.
  var SEND_SINCE = {
    single_chat_tools: "2.8.10",
    group_chat_tools: "2.8.10",
    chat_attachment: "3.1.6",
    single_kf_tools: "3.1.10",
    chain_single_chat_tools: "4.0.8",
    chain_group_chat_tools: "4.0.8",
  };
  // msgtype -> the first version that sends it here (null: never), per the documented tables.
  function typeSince(msgtype, entry) {
    var kf = entry === "single_kf_tools";
    switch (msgtype) {
      case "text": case "image": case "video": case "file": case "news": return "0";
      case "miniprogram": return platform === "mac" ? "4.1.26" : "3.1.0";
      case "msgmenu":
        if (!kf || platform === "mac") return null;
        return platform === "windows" || platform === "other" ? "3.1.20" : "3.1.12";
      case "channels_shop_product": return kf ? "4.1.6" : null;
      default: return null;
    }
  }
  var MEDIA_TYPES = ["image", "video", "file"];
  // The first client version that has each API (docs/wecom.md, "Client versions").
  var SINCE = {
    getContext: "3.0.24",
    getCurExternalChat: "2.8.17",
    getCurCorpGroupContact: "4.0.8",
    getCurCorpGroupChat: "4.0.12",
  };
  // Opening a chat (docs/wecom.md, "Opening a chat"): externalUserIds from 2.4.20.
  var EXTERNAL_CHAT_SINCE = "2.4.20";
  var GROUP_CHAT_SINCE = "3.0.36"; // openEnterpriseChat's chatId: an existing customer group

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
    openEnterpriseChat: function (p) {
      if (!state.config && !state.agentConfig) return { err_msg: "openEnterpriseChat:fail no permission" };
      var users = String(p.userIds || "").split(";").filter(Boolean);
      var customers = String(p.externalUserIds || "").split(";").filter(Boolean);
      if (p.chatId && olderThan(version, GROUP_CHAT_SINCE)) {
        return { err_msg: "openEnterpriseChat:fail function not exist" };
      }
      if (customers.length && olderThan(version, EXTERNAL_CHAT_SINCE)) {
        return { err_msg: "openEnterpriseChat:fail function not exist" };
      }
      if (!users.length && !customers.length && !p.chatId) {
        return { err_msg: "openEnterpriseChat:fail invalid userIds" };
      }
      opened.push({ userIds: users, externalUserIds: customers, chatId: p.chatId || "" });
      return { err_msg: "openEnterpriseChat:ok" };
    },
    setClipboardData: function (p) {
      if (!state.config && !state.agentConfig) return { err_msg: "setClipboardData:fail no permission" };
      if (olderThan(version, CLIPBOARD_SINCE[platform] || "3.1.2")) {
        return { err_msg: "setClipboardData:fail function not exist" };
      }
      if (typeof p.data !== "string") return { err_msg: "setClipboardData:fail invalid data" };
      clipboard.push(p.data);
      return { err_msg: "setClipboardData:ok" };
    },
    imagePreview: function (p) {
      if (!isHttp(p.current) || !Array.isArray(p.urls) || !p.urls.every(isHttp)) {
        return { err_msg: "imagePreview:fail invalid url" };
      }
      previewed.push({ current: p.current, urls: p.urls });
      return { err_msg: "imagePreview:ok" };
    },
    sendChatMessage: function (p) {
      return withAgent("sendChatMessage", function (chat) {
        var fail = function (why) { return { err_msg: "sendChatMessage:fail " + why }; };
        if (!SEND_SINCE[chat.entry]) return fail("without context of external contact");
        if (olderThan(version, SEND_SINCE[chat.entry])) return fail("function not exist");
        if (chat.entry === "chat_attachment" && platform === "mac") return fail("function not exist");
        var since = typeSince(p.msgtype, chat.entry);
        if (since === null || olderThan(version, since)) return fail("unsupported msgtype");
        var problem = checkFields(p);
        if (problem) return fail(problem);
        var media = MEDIA_TYPES.indexOf(p.msgtype) !== -1 ? p[p.msgtype].mediaid : null;
        return Promise.resolve(media && options.checkMedia ? options.checkMedia(media, p.msgtype) : "ok")
          .then(function (found) {
            if (found !== "ok") return fail("invalid mediaid");
            return Promise.resolve(options.confirm ? options.confirm(p) : true);
          })
          .then(function (confirmed) {
            if (confirmed && confirmed.err_msg) return confirmed;
            if (confirmed === false) return { err_msg: "sendChatMessage:cancel" };
            // enterChat: phones from 3.1.10 jump into the chat; other clients ignore it.
            var entered = Boolean(p.enterChat) && MOBILE && !olderThan(version, "3.1.10");
            var message = { chat: chat, message: documented(p), enteredChat: entered };
            sent.push(message);
            if (options.onMessage) options.onMessage(message);
            return { err_msg: "sendChatMessage:ok" };
          });
      });
    },
  };

  // The message as the page gave it, without what the SDK adds to every legacy invoke
  // (appId, verifyAppId, verifySignature, ...).
  function documented(p) {
    var body = p.msgtype === "channels_shop_product" ? "channelsShopProduct" : p.msgtype;
    var message = { msgtype: p.msgtype };
    message[body] = p[body];
    if (p.enterChat !== undefined) message.enterChat = p.enterChat;
    return message;
  }

  function isHttp(url) {
    return typeof url === "string" && /^https?:\/\/[^\/]/.test(url);
  }

  // The first field a message of its type lacks or gets wrong, as the client words it.
  function checkFields(p) {
    var body = p.msgtype === "channels_shop_product" ? p.channelsShopProduct : p[p.msgtype];
    if (!body || typeof body !== "object") return "invalid " + p.msgtype;
    var required = {
      text: ["content"], image: ["mediaid"], video: ["mediaid"], file: ["mediaid"],
      news: ["link"], miniprogram: ["appid", "title", "imgUrl", "page"], msgmenu: ["list"],
      channels_shop_product: ["productId", "shopAppId", "imgUrl", "title", "sellingPrice", "shopImgUrl", "shopNickname"],
    }[p.msgtype];
    for (var i = 0; i < required.length; i++) {
      var value = body[required[i]];
      if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) {
        return "missing " + required[i];
      }
    }
    if ((p.msgtype === "miniprogram" || (p.msgtype === "news" && body.imgUrl)) && !isHttp(body.imgUrl)) {
      return "invalid imgUrl";
    }
    if (p.msgtype === "miniprogram" && !/\.html($|\?)/.test(body.page)) return "invalid page";
    if (p.msgtype === "msgmenu" && body.list.length > 10) return "invalid list";
    return "";
  }

  var ACTIONS = ["openEnterpriseChat", "imagePreview", "setClipboardData"];

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
          // What the client does beside sending (opening a chat, a picture, the clipboard).
          if (ACTIONS.indexOf(name) !== -1 && options.onAction) options.onAction(name, params, result);
          callback(result);
        });
    },
    on: function () {},
    call: function () {},
  };
})();
