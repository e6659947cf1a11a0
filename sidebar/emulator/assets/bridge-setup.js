/*
 * Emulator only: make this page look, to the unmodified SDK, like a page inside the WeCom
 * client. It takes the client's user agent, the current chat and the staff member's answer to
 * each send from the emulator panel that frames the page (same origin), and has the stand-in
 * check signatures and media_ids through this app's emulator routes (the page's CSP allows only
 * its own origin). bridge.js, loaded next, does the rest.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var host = null;
  try {
    host = window.parent !== window ? window.parent.__EMULATOR__ || null : null;
  } catch (error) {
    host = null; // framed by another origin: behave as a page opened on its own
  }
  // The client's user agent, as the panel plays it (the server sees the same one).
  var ua = host ? host.userAgent() : navigator.userAgent.replace(/\s*wxwork\/[\d.]+/i, "") + " wxwork/4.1.30";
  Object.defineProperty(navigator, "userAgent", { get: function () { return ua; } });

  // Phones keep the webview when the staff member switches chats; the emulator plays that by
  // hiding the page and bringing it back, as the client does. Otherwise the browser's own
  // visibility stands (a page being replaced really is hidden).
  var played = null;
  var native = {
    visibilityState: Object.getOwnPropertyDescriptor(Document.prototype, "visibilityState").get,
    hidden: Object.getOwnPropertyDescriptor(Document.prototype, "hidden").get,
  };
  Object.defineProperty(document, "visibilityState", {
    get: function () { return played || native.visibilityState.call(document); },
  });
  Object.defineProperty(document, "hidden", {
    get: function () { return played ? played === "hidden" : native.hidden.call(document); },
  });
  window.__EMULATOR_LEAVE_AND_RETURN__ = function () {
    ["hidden", "visible"].forEach(function (state) {
      played = state;
      document.dispatchEvent(new Event("visibilitychange"));
    });
    played = null;
  };

  function csrfToken() {
    var found = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return found ? decodeURIComponent(found[1]) : "";
  }

  // Ask the stand-in through the app's emulator route for `action` (verify, media-check).
  function askStandin(action, body) {
    return fetch(script.dataset.standin.replace("ACTION", action), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    })
      .then(function (response) { return response.json(); })
      .then(function (data) { return data.result || "fail"; });
  }

  window.__WECOM_BRIDGE__ = {
    chat: function () {
      return host ? host.chat() : { entry: "normal" };
    },
    verify: function (kind, params, url) {
      return askStandin("verify", { kind: kind, params: params, url: url });
    },
    checkMedia: function (mediaid, type) {
      return askStandin("media-check", { mediaid: mediaid, type: type });
    },
    confirm: function (message) {
      return host ? host.confirm(message) : true;
    },
    onMessage: function (message) {
      if (host) host.recordMessage(message);
    },
    onAction: function (name, params, result) {
      if (host) host.recordAction(name, params, result);
    },
  };
})();
