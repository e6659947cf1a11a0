/*
 * The Juzi stand-in's console: the system sidebar frames the page, and this relays each call of
 * the helper stand-in (juzi-helper.js) in that frame to the stand-in server, which answers as
 * Juzi's system sidebar and records it. What was sent is also told to whatever frames the
 * console (the emulator shows it in its chat transcript).
 */
(function () {
  "use strict";

  var frame = document.getElementById("system-sidebar");
  var pageOrigin = new URL(frame.src).origin;

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== pageOrigin) return;
    var question = event.data || {};
    if (!question.juziCall) return;
    fetch("/_juzi/helper", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ call: question.call, params: question.params || {} }),
    })
      .then(function (response) { return response.json(); })
      .catch(function (error) {
        return { err_msg: question.call + ":fail " + error.message };
      })
      .then(function (answer) {
        frame.contentWindow.postMessage({ juziAnswer: question.juziCall, answer: answer }, pageOrigin);
        if (window.parent !== window) {
          window.parent.postMessage({ juziConsole: question.call, params: question.params, answer: answer }, "*");
        }
      });
  });
})();
