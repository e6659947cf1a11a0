/*
 * The page's host adapter for the WeCom client itself: the official JS-SDK (`ww`), registered
 * with the server's corp and agent signatures. sidebar.js talks to whichever host adapter the
 * page loaded, through the same small interface (see host-juzi.js for the other one):
 *
 *   present()               is the page inside this host at all
 *   absentCause             the explanation shown when it is not
 *   start()                 set up (register the SDK)
 *   currentChat(causeOf)    -> Promise of {entry, kind?, id, fields?}; a failure carries .entry
 *                           (causeOf(error): the page's diagnosis, for fallbacks)
 *   send(message)           -> Promise of the host's answer ({errMsg}); rejects with it
 *   openChat({userIds, externalUserIds} or {chatId}) and previewImage(current, urls) -> Promise
 *   copy(text)              -> Promise: the text on the device's clipboard
 *   causeOf(message)        this host's diagnosis of a failure message, or null
 *   heal(message)           -> Promise of true when the host repaired what `message` says
 *                           failed and looking again may pass (at most once per cause)
 *   refusal()               a failure the host knows better than the SDK's words, or null
 *   signedUrl()             the URL last signed (for failure reports)
 */
(function () {
  "use strict";

  window.sidebarHosts = window.sidebarHosts || {};
  window.sidebarHosts.wecom = function (boot, post) {
    // The signatures inlined in the page are for boot.url; other URLs are signed on request.
    var signed = { url: boot.url, config: boot.config, agentConfig: boot.agentConfig };
    var lastSignedUrl = boot.url;
    // Why the server last refused to sign a URL the SDK asked for (null: it did not refuse).
    var signingRefused = null;
    // The signatures healed on this page ("config", "agentConfig"): each at most once.
    var healed = {};
    var REFUSED = "sidebar: the server would not sign ";

    // What each entry asks the client for, and which lookup shows it.
    var TOOLBAR = {
      single_chat_tools: contact("contact"),
      contact_profile: contact("contact"),
      single_kf_tools: contact("kf"),
      group_chat_tools: function () {
        return ww.getCurExternalChat().then(function (r) {
          return { kind: "group", id: r.chatId, fields: { chat_id: r.chatId } };
        });
      },
      chain_single_chat_tools: function () {
        return ww.getCurCorpGroupContact().then(function (r) {
          return {
            kind: "chain-contact",
            id: r.corpId + "/" + r.userId,
            fields: { corp_id: r.corpId, user_id: r.userId },
          };
        });
      },
      chain_group_chat_tools: function () {
        return ww.getCurCorpGroupChat().then(function (r) {
          return { kind: "chain-chat", id: r.chatId, fields: { chat_id: r.chatId } };
        });
      },
    };

    function contact(kind) {
      return function () {
        return ww.getCurExternalContact().then(function (r) {
          return { kind: kind, id: r.userId, fields: { external_userid: r.userId } };
        });
      };
    }

    function signatureFor(kind) {
      return function (url) {
        lastSignedUrl = url;
        if (url === signed.url) return Promise.resolve(signed[kind]);
        return post(boot.endpoints.signatures, JSON.stringify({ url: url }), "application/json")
          .then(function (response) {
            return response.json().then(function (data) {
              if (!response.ok) {
                signingRefused = REFUSED + url + ": " + (data.error || "HTTP " + response.status);
                throw new Error(signingRefused);
              }
              signingRefused = null;
              signed = data;
              return data[kind];
            });
          });
      };
    }

    // Clients before 3.0.24 have no getContext; their toolbar page opened from single chats,
    // so try that and let getCurExternalContact say "without context" if it was not one.
    function currentEntry(causeOf) {
      return ww.getContext().then(
        function (context) {
          return context.entry;
        },
        function (error) {
          if (causeOf(error) === "client-too-old") return "single_chat_tools";
          throw error;
        }
      );
    }

    // Which of our signatures the client refused, from its message ("config" or
    // "agentConfig"; older clients say preVerifyJSAPI for config), or null.
    function refusedKind(message) {
      var m = message.toLowerCase();
      if (m.indexOf("invalid signature") === -1) return null;
      return /^agentconfig:/.test(m) ? "agentConfig" : "config";
    }

    // The client refused a signature we made: tell the server which (it replaces its ticket
    // if WeCom stopped honouring it) and take the fresh signatures it answers. The SDK asks
    // for a signature again on the next call, so looking again uses them.
    function heal(message) {
      var kind = refusedKind(message);
      if (!kind || healed[kind] || !signed[kind]) return Promise.resolve(false);
      healed[kind] = true;
      var used = signed[kind];
      var body = {
        url: signed.url,
        refused: kind,
        timestamp: used.timestamp,
        nonceStr: used.nonceStr,
        signature: used.signature,
      };
      return post(boot.endpoints.signatures, JSON.stringify(body), "application/json")
        .then(function (response) {
          if (!response.ok) return false;
          return response.json().then(function (data) {
            if (!data.healed) return false;
            signed = { url: data.url, config: data.config, agentConfig: data.agentConfig };
            return true;
          });
        })
        .catch(function () {
          return false;
        });
    }

    return {
      absentCause: "outside-wecom",
      heal: heal,
      present: function () {
        return ww.env.isWeCom;
      },
      start: function () {
        // ww.register() starts config/agentConfig and drops the promise it gets back, so a
        // refused signature also surfaces as an unhandled rejection. The same failure reaches
        // the page's check, which explains it; mark only such SDK results (with errMsg) handled.
        window.addEventListener("unhandledrejection", function (event) {
          if (event.reason && typeof event.reason.errMsg === "string") event.preventDefault();
        });
        ww.register({
          corpId: boot.corpId,
          agentId: boot.agentId,
          jsApiList: boot.jsApiList,
          getConfigSignature: signatureFor("config"),
          getAgentConfigSignature: signatureFor("agentConfig"),
        });
      },
      currentChat: function (causeOf) {
        return currentEntry(causeOf).then(function (entry) {
          var ask = TOOLBAR[entry];
          if (!ask) return { entry: entry, id: "" };
          return ask().then(
            function (chat) {
              chat.entry = entry;
              return chat;
            },
            function (error) {
              error.entry = entry;
              throw error;
            }
          );
        });
      },
      send: function (message) {
        return ww.sendChatMessage(message);
      },
      openChat: function (ids) {
        // A chatId opens that customer group (client 3.0.36 and later) and ignores the rest.
        if (ids.chatId) return ww.openEnterpriseChat({ chatId: ids.chatId });
        return ww.openEnterpriseChat({
          userIds: ids.userIds || [],
          externalUserIds: ids.externalUserIds || [],
          groupName: "",
        });
      },
      previewImage: function (current, urls) {
        return ww.previewImage({ current: current, urls: urls });
      },
      copy: function (text) {
        return ww.setClipboardData({ data: text });
      },
      causeOf: function (message) {
        if (message.indexOf(REFUSED) === 0) return "resign-refused";
        var m = message.toLowerCase();
        if (/^(config|preverifyjsapi):.*invalid signature/.test(m)) return "config-signature";
        if (/^agentconfig:.*invalid signature/.test(m)) return "agent-signature";
        if (m.indexOf("invalid signature") !== -1) return "config-signature";
        if (m.indexOf("reliable domain") !== -1 || m.indexOf("80001") !== -1) return "domain";
        if (m.indexOf("invalid corpid") !== -1) return "corp-id";
        if (m.indexOf("ticket") !== -1 || m.indexOf("42012") !== -1) return "ticket";
        return null;
      },
      refusal: function () {
        return signingRefused;
      },
      signedUrl: function () {
        return lastSignedUrl;
      },
    };
  };
})();
