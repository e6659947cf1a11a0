/*
 * The toolbar page: register the official JS-SDK with the server's signatures, ask the client
 * where the page was opened and who the customer is, and show the server's answer.
 *
 * All text the page shows comes from the server (rendered fragments and <template id="why-…">
 * elements), so it is translated with the rest of the app. Nothing here ever calls alert().
 */
(function () {
  "use strict";

  var boot = JSON.parse(document.getElementById("sidebar-boot").textContent);
  var panel = document.getElementById("panel");
  // The signatures inlined in the page are for boot.url; other URLs are signed on request.
  var signed = { url: boot.url, config: boot.config, agentConfig: boot.agentConfig };
  var generation = 0;

  function show(node) {
    panel.replaceChildren(node);
    panel.setAttribute("aria-busy", "false");
  }

  function explain(cause, raw) {
    var template = document.getElementById("why-" + cause) || document.getElementById("why-sdk-failed");
    var node = template.content.cloneNode(true);
    var slot = node.querySelector("[data-slot=raw]");
    if (slot) {
      if (raw) {
        slot.textContent = raw;
      } else {
        slot.parentNode.remove();
      }
    }
    show(node);
  }

  function showHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    show(template.content);
  }

  // What the client said, as the SDK hands it over (a result object or an Error).
  function messageOf(error) {
    if (error && typeof error.errMsg === "string") return error.errMsg;
    if (error && typeof error.message === "string") return error.message;
    return String(error);
  }

  function causeOf(message) {
    var m = message.toLowerCase();
    if (/^(config|preverifyjsapi):.*invalid signature/.test(m)) return "config-signature";
    if (/^agentconfig:.*invalid signature/.test(m)) return "agent-signature";
    if (m.indexOf("invalid signature") !== -1) return "config-signature";
    if (m.indexOf("reliable domain") !== -1 || m.indexOf("80001") !== -1) return "domain";
    if (m.indexOf("invalid corpid") !== -1) return "corp-id";
    if (m.indexOf("ticket") !== -1 || m.indexOf("42012") !== -1) return "ticket";
    if (m.indexOf("without context") !== -1) return "no-customer";
    if (m.indexOf("no permission") !== -1 || m.indexOf("permission denied") !== -1) return "no-permission";
    if (m.indexOf("function not exist") !== -1 || m.indexOf("not support") !== -1) return "client-too-old";
    return "sdk-failed";
  }

  function post(url, body, contentType) {
    var headers = { "X-CSRFToken": boot.csrfToken };
    if (contentType) headers["Content-Type"] = contentType;
    return fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
  }

  function signatureFor(kind) {
    return function (url) {
      if (url === signed.url) return Promise.resolve(signed[kind]);
      return post(boot.endpoints.signatures, JSON.stringify({ url: url }), "application/json")
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) throw new Error(data.error || "HTTP " + response.status);
            signed = data;
            return data[kind];
          });
        });
    };
  }

  // ww.register() starts config/agentConfig and drops the promise it gets back, so a refused
  // signature also surfaces as an unhandled rejection. The same failure reaches run() below,
  // which explains it in the panel; mark only such SDK results (they carry errMsg) handled.
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

  function lookUpContact(entry, userId, mine) {
    var form = new FormData();
    form.append("entry", entry);
    form.append("external_userid", userId);
    return post(boot.endpoints.lookupContact, form).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("text/html") !== 0) throw new Error("HTTP " + response.status);
      return response.text().then(function (html) {
        if (mine === generation) showHtml(html);
      });
    }).catch(function () {
      if (mine === generation) explain("network");
    });
  }

  // Clients before 3.0.24 have no getContext; their toolbar page opened from single chats,
  // so try that and let getCurExternalContact say "without context" if it was not one.
  function currentEntry() {
    return ww.getContext().then(
      function (context) {
        return context.entry;
      },
      function (error) {
        if (causeOf(messageOf(error)) === "client-too-old") return "single_chat_tools";
        throw error;
      }
    );
  }

  function run() {
    var mine = ++generation;
    panel.setAttribute("aria-busy", "true");
    if (!ww.env.isWeCom) {
      explain("outside-wecom");
      return Promise.resolve();
    }
    return currentEntry()
      .then(function (entry) {
        if (boot.contactEntries.indexOf(entry) === -1) {
          if (mine === generation) explain("other-entry", entry);
          return null;
        }
        return ww.getCurExternalContact().then(function (contact) {
          return lookUpContact(entry, contact.userId, mine);
        });
      })
      .catch(function (error) {
        if (mine !== generation) return;
        var message = messageOf(error);
        explain(causeOf(message), message);
      });
  }

  document.getElementById("refresh").addEventListener("click", function () {
    explain("loading");
    run();
  });
  run();
})();
