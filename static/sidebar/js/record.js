/*
 * The customer record in the panel: edit forms loaded in place, saved in place.
 *
 * The server renders every part (sidebar/records/views.py); this script only moves HTML:
 * - [data-load=url]: fetch the part at `url` and put it where the button's [data-part] is
 *   (an edit form; its Cancel puts the shown part back);
 * - form[data-record]: post it, and put the answer where the form's [data-part] is, or the
 *   nearest `data-replaces` ancestor (the whole record section after a note or stage); after
 *   a remark or tag edit is saved, the section is fetched again (its timeline shows the edit);
 * - [data-copy]: copy a phone number; [data-add-mobile]: one more number field;
 * - [data-confirm]: a second tap confirms (nothing here calls confirm() or alert()).
 */
(function () {
  "use strict";

  var panel = document.getElementById("panel");
  var replaced = new WeakMap(); // an edit form's part -> the part it replaced

  function say(id) {
    var template = document.getElementById("say-" + id);
    return template ? template.content.textContent : "";
  }

  function request(url, init) {
    init = init || {};
    init.credentials = "same-origin";
    init.headers = window.sidebarPostHeaders(init.body, null, "html");
    return fetch(url, init).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("text/html") !== 0) throw new Error("HTTP " + response.status);
      return response.text().then(function (html) {
        return { html: html, saved: response.status === 200 };
      });
    });
  }

  function refreshSection() {
    var section = panel.querySelector("[data-part=record][data-url]");
    if (!section) return;
    request(section.dataset.url)
      .then(function (answer) {
        if (answer.saved && section.isConnected) put(section, answer.html);
      })
      .catch(function () {}); // the section stays as it was; the next look shows the edit
  }

  function put(old, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var first = template.content.firstElementChild;
    old.replaceWith(template.content);
    return first;
  }

  function unreachable(near) {
    var old = near.querySelector(".record-said");
    if (old) old.remove();
    var line = document.createElement("p");
    line.className = "form-error record-said";
    line.setAttribute("role", "alert");
    line.textContent = say("network");
    near.appendChild(line);
  }

  function load(button) {
    var part = button.closest("[data-part]");
    button.disabled = true;
    request(button.dataset.load)
      .then(function (answer) {
        var now = put(part, answer.html);
        if (now && now.matches("[data-part]")) {
          replaced.set(now, part);
          var field = now.querySelector("input:not([type=hidden]), textarea");
          if (field) field.focus();
        }
      })
      .catch(function () {
        button.disabled = false;
        unreachable(part);
      });
  }

  function submit(form, submitter) {
    var target = form.dataset.replaces ? form.closest(form.dataset.replaces) : form.closest("[data-part]");
    var body = new URLSearchParams(new FormData(form)); // urlencoded: see sidebar.js, post()
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) {
      button.disabled = true;
    });
    var wholeSection = target.matches("[data-part=record]");
    request(form.action, { method: "POST", body: body })
      .then(function (answer) {
        var now = put(target, answer.html);
        var edited = answer.saved && !wholeSection && now && !now.matches("form");
        if (edited) refreshSection();
      })
      .catch(function () {
        buttons.forEach(function (button) {
          button.disabled = false;
        });
        unreachable(form);
      });
  }

  function copy(button) {
    var text = button.dataset.copy;
    var done = function () {
      button.classList.add("copied");
      setTimeout(function () {
        button.classList.remove("copied");
      }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        selectNumber(button);
      });
    } else {
      selectNumber(button);
    }
  }

  // Where the clipboard is not available, the number is selected for the system's copy.
  function selectNumber(button) {
    var number = button.parentNode.querySelector(".mobile-number");
    if (!number) return;
    var range = document.createRange();
    range.selectNodeContents(number);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function addMobile(button) {
    var fields = button.parentNode.querySelectorAll("input[name=mobile]");
    if (fields.length >= Number(button.dataset.max || 10)) return;
    var field = fields[fields.length - 1].cloneNode();
    field.value = "";
    button.before(field);
    field.focus();
    if (fields.length + 1 >= Number(button.dataset.max || 10)) button.hidden = true;
  }

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || button.disabled) return;
    if (button.dataset.load) return load(button);
    if (button.hasAttribute("data-cancel")) {
      var editing = button.closest("[data-part]");
      var shown = replaced.get(editing);
      if (shown) {
        shown.querySelectorAll("button").forEach(function (other) {
          other.disabled = false;
        });
        editing.replaceWith(shown);
      }
      return;
    }
    if (button.dataset.copy) return copy(button);
    if (button.hasAttribute("data-add-mobile")) return addMobile(button);
    if (button.dataset.confirm && !button.classList.contains("confirming")) {
      event.preventDefault();
      button.classList.add("confirming");
      button.dataset.label = button.textContent;
      button.textContent = button.dataset.confirm;
    }
  });

  panel.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-record]");
    if (!form) return;
    event.preventDefault();
    submit(form, event.submitter);
  });
})();
