/*
 * The page's host adapter for Juzi's (句子互动) system sidebar (docs/hosts.md, "Juzi"): Juzi's
 * helper script, loaded from JUZI_HELPER_URL, answers instead of the WeCom client. Inside the
 * system sidebar it replaces `window.wx` (then wx.isJuziWx is true); `window.juziWx` is the
 * same object when the replacement could not happen. There is no getContext and no signature:
 * getCurChatInfo says what chat is open (type 0 single, 1 group; external or internal), and
 * getCurExternalContact / getCurExternalChat give its customer or group. Replies go out with
 * sendChatMessage; pictures, videos and files by URL (the server signs one per send).
 *
 * The interface is host-wecom.js's; answers are normalised to {errMsg} like the SDK's.
 */
(function () {
  "use strict";

  var OTHER_ACCOUNT = "juzi: the sidebar shows another hosted account than the one signed in";

  window.sidebarHosts = window.sidebarHosts || {};
  window.sidebarHosts.juzi = function (boot) {
    function helper() {
      if (window.wx && window.wx.isJuziWx) return window.wx;
      return window.juziWx || null;
    }

    // A helper answer as the SDK's: {errMsg, ...fields}, `otherwise` when it says nothing.
    function answerOf(answer, otherwise) {
      var result = Object.assign({}, answer || {});
      result.errMsg = String(result.errMsg || result.err_msg || otherwise);
      return result;
    }

    // invoke(): ":ok" resolves, anything else rejects.
    function invoke(name, params) {
      return new Promise(function (resolve, reject) {
        helper().invoke(name, params || {}, function (answer) {
          var result = answerOf(answer, name + ":fail no answer");
          if (/:ok$/.test(result.errMsg)) resolve(result);
          else reject(result);
        });
      });
    }

    // getCurChatInfo, openEnterpriseChat: the {success, fail} style of the WeChat JS-SDK.
    function call(name, params) {
      return new Promise(function (resolve, reject) {
        var options = Object.assign({}, params || {}, {
          success: function (answer) {
            resolve(answerOf(answer, name + ":ok"));
          },
          fail: function (answer) {
            reject(answerOf(answer, name + ":fail"));
          },
        });
        helper()[name](options);
      });
    }

    function withEntry(entry) {
      return function (error) {
        error.entry = entry;
        throw error;
      };
    }

    return {
      absentCause: "outside-juzi",
      present: function () {
        return Boolean(helper());
      },
      start: function () {},
      currentChat: function () {
        return call("getCurChatInfo").then(function (info) {
          if (boot.botId && info.botId && info.botId !== boot.botId) {
            throw { errMsg: OTHER_ACCOUNT };
          }
          // An internal chat (colleagues only) has no customer: the home panel.
          if (!info.external) return { entry: "juzi_internal_chat", id: "" };
          if (Number(info.type) === 1) {
            var group = "group_chat_tools";
            return invoke("getCurExternalChat").then(function (r) {
              var chatId = r.chatId || info.wxChatId;
              return { entry: group, kind: "group", id: chatId, fields: { chat_id: chatId } };
            }, withEntry(group));
          }
          var single = "single_chat_tools";
          return invoke("getCurExternalContact").then(function (r) {
            var userId = r.userId || info.wxUserId;
            return {
              entry: single,
              kind: "contact",
              id: userId,
              fields: { external_userid: userId },
            };
          }, withEntry(single));
        });
      },
      send: function (message) {
        return invoke("sendChatMessage", message);
      },
      openChat: function (ids) {
        // As the legacy WeCom API it mirrors: ";"-joined ids.
        return call("openEnterpriseChat", {
          userIds: (ids.userIds || []).join(";"),
          externalUserIds: (ids.externalUserIds || []).join(";"),
          chatId: ids.chatId || "",
        });
      },
      previewImage: function (current, urls) {
        helper().previewImage({ current: current, urls: urls });
        return Promise.resolve({ errMsg: "previewImage:ok" });
      },
      copy: function (text) {
        // Juzi's helper has no clipboard call: the browser's own, where the console allows it.
        if (!navigator.clipboard) return Promise.reject(new Error("clipboard unavailable"));
        return navigator.clipboard.writeText(text);
      },
      causeOf: function (message) {
        if (message === OTHER_ACCOUNT) return "juzi-other-account";
        if (message.indexOf("getCurChatInfo:") === 0) return "juzi-no-chat";
        return "juzi-failed"; // Juzi's helper failed, not the WeCom client: say so
      },
      heal: function () {
        return Promise.resolve(false); // no signatures here: nothing of ours to heal
      },
      refusal: function () {
        return null;
      },
      signedUrl: function () {
        return "";
      },
    };
  };
})();
