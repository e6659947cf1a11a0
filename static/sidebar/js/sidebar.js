/*
 * The toolbar page: ask the host (the WeCom client through the official JS-SDK, or a hosted
 * sidebar such as Juzi's; host-*.js) where the page was opened and what is in the chat, show
 * the server's answer, send replies and act in the chat.
 *
 * All text the page shows comes from the server (rendered fragments and <template id="why-…">
 * elements), so it is translated with the rest of the app. Nothing here ever calls alert().
 */
(function () {
  "use strict";

  var boot = JSON.parse(document.getElementById("sidebar-boot").textContent);
  var panel = document.getElementById("panel");
  var generation = 0;
  var shown = null; // {entry, id} of what the panel shows now
  var current = null; // the chat the panel shows: {entry, kind?, id, fields?}
  var reported = {};
  var library = document.getElementById("library");
  var tabs = document.getElementById("tabs");
  var libraryEntry = null; // the entry the library was loaded for
  // The WeCom client or a hosted sidebar (host-wecom.js, host-juzi.js), as the server chose.
  var host = window.sidebarHosts[boot.host](boot, post);

  function show(node) {
    panel.replaceChildren(node);
    panel.setAttribute("aria-busy", "false");
  }

  function explain(cause, raw) {
    var template =
      document.getElementById("why-" + cause) ||
      document.getElementById(cause.indexOf("loading") === 0 ? "why-loading" : "why-sdk-failed");
    var node = template.content.cloneNode(true);
    // The client's own words go under 技术细节, folded; a fold with nothing in it goes.
    var slot = node.querySelector("[data-slot=raw]");
    if (slot && raw) slot.textContent = raw;
    else if (slot) slot.remove();
    var fold = node.querySelector(".problem-tech");
    if (fold && !fold.querySelector("p, code")) fold.remove();
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
    var known = host.causeOf(message);
    if (known) return known;
    var m = message.toLowerCase();
    if (m.indexOf("without context") !== -1) return "no-customer";
    if (m.indexOf("no permission") !== -1 || m.indexOf("permission denied") !== -1) return "no-permission";
    if (m.indexOf("function not exist") !== -1 || m.indexOf("not support") !== -1) return "client-too-old";
    return "sdk-failed";
  }

  // The CSRF token, from the cookie the server set (boot.csrfCookie names it): read at each
  // POST, so a token the server replaced is the one sent. record.js posts with it too.
  function csrfToken() {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf("=");
      if (pairs[i].slice(0, at) === boot.csrfCookie) return decodeURIComponent(pairs[i].slice(at + 1));
    }
    return "";
  }
  window.sidebarCsrfToken = csrfToken;

  // A POST to the server. Its answer is JSON unless `wants` is "html" (the panel's lookups);
  // asking for it lets the server answer even its failures in the shape the page reads.
  // Forms go urlencoded (URLSearchParams), never multipart (FormData): the server parses
  // them for a fraction of the cost, and bench/ measures the lookup as the page posts it.
  // Their type is said without the browser's ";charset=UTF-8": the server reads UTF-8
  // anyway, and a type with a parameter costs Django a MIME parser on every request.
  function postHeaders(body, contentType, wants) {
    var headers = { "X-CSRFToken": csrfToken() };
    if (!contentType && body instanceof URLSearchParams) {
      contentType = "application/x-www-form-urlencoded";
    }
    if (contentType) headers["Content-Type"] = contentType;
    headers.Accept = wants === "html" ? "text/html" : "application/json";
    return headers;
  }
  window.sidebarPostHeaders = postHeaders;

  function post(url, body, contentType, wants) {
    var headers = postHeaders(body, contentType, wants);
    return fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
  }

  // Tell the server, once per failure, what the client refused: admins see it with a
  // diagnosis. Best effort: a report that cannot be sent changes nothing on the page.
  function report(message, entry) {
    if (reported[message]) return;
    reported[message] = true;
    var body = {
      error: message.slice(0, 500),
      signed_url: host.signedUrl().slice(0, 2048),
      page_url: location.href.slice(0, 2048),
      entry: (entry || "").slice(0, 64),
      user_agent: navigator.userAgent.slice(0, 512),
    };
    post(boot.endpoints.reports, JSON.stringify(body), "application/json").catch(function () {});
  }

  host.start();

  // What is in the chat now: {entry, kind?, id?, fields?}.
  // Opened from a follow-up reminder (boot.open), not from a chat: show that customer or group.
  function currentChat() {
    return host
      .currentChat(function (error) {
        return causeOf(messageOf(error));
      })
      .then(function (chat) {
        if (chat.kind || !boot.open) return chat;
        return { entry: "reminder", kind: boot.open.kind, id: boot.open.id, fields: boot.open.fields };
      });
  }

  function render(chat, mine) {
    if (!chat.kind) {
      return fetch(boot.endpoints.home + "?entry=" + encodeURIComponent(chat.entry), {
        credentials: "same-origin",
      }).then(function (response) {
        return finish(response, mine);
      });
    }
    var form = new URLSearchParams();
    form.append("entry", chat.entry);
    Object.keys(chat.fields).forEach(function (name) {
      form.append(name, chat.fields[name]);
    });
    var url = boot.endpoints.lookup.replace("KIND", chat.kind);
    return post(url, form, null, "html").then(function (response) {
      return finish(response, mine);
    });
  }

  function finish(response, mine) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("text/html") !== 0) throw new Error("HTTP " + response.status);
    return response.text().then(function (html) {
      if (mine !== generation) return;
      showHtml(html);
      watchMoreMembers();
      // For measuring: when the panel showed, counted from the navigation (docs/speed.md).
      if (window.performance && performance.mark) performance.mark("sidebar:panel-shown");
    });
  }

  // A group panel lists its first members; the next run of them comes when the button after
  // them nears the screen (or is tapped), and takes its place (docs/speed.md).
  var membersWatch = null;
  function watchMoreMembers() {
    if (membersWatch) membersWatch.disconnect();
    membersWatch = null;
    var button = panel.querySelector(".members-more-button");
    if (!button || !("IntersectionObserver" in window)) return; // a tap still loads them
    membersWatch = new IntersectionObserver(
      function (seen) {
        if (seen.some(function (e) { return e.isIntersecting; })) moreMembers(button);
      },
      { rootMargin: "0px 0px 600px 0px" }
    );
    membersWatch.observe(button);
  }

  function moreMembers(button) {
    var chat = current;
    if (button.disabled || !chat || chat.kind !== "group") return;
    button.disabled = true;
    var form = new URLSearchParams({
      entry: chat.entry,
      chat_id: chat.fields.chat_id,
      start: button.dataset.membersFrom,
    });
    post(boot.endpoints.lookup.replace("KIND", "group-members"), form, null, "html")
      .then(function (response) {
        return response.text().then(function (html) {
          var item = button.closest("li");
          if (!panel.contains(item)) return; // the panel shows something else now
          var template = document.createElement("template");
          if (response.headers.get("X-Sidebar-Outcome") !== "ok") {
            // Refused or not recorded: say why under the button, which tries again.
            var old = item.querySelector(".action-said");
            if (old) old.remove();
            var said = document.createElement("div");
            said.className = "action-said";
            template.innerHTML = html;
            said.appendChild(template.content);
            item.appendChild(said);
            button.disabled = false;
            return;
          }
          template.innerHTML = html;
          item.replaceWith(template.content);
          watchMoreMembers();
        });
      })
      .catch(function () {
        button.disabled = false;
      });
  }

  // Ask the client what is in the chat; show it unless the panel shows it already. The panel
  // never keeps the previous chat's content while a new one is fetched.
  function check(force) {
    var mine = ++generation;
    if (!host.present()) {
      explain(host.absentCause);
      return Promise.resolve();
    }
    if (force) explain("loading");
    return currentChat()
      .then(function (chat) {
        if (mine !== generation) return null;
        var same = shown && shown.entry === chat.entry && shown.id === chat.id;
        if (same && !force) return null;
        // The chat is known now: say what is being read (the customer, the group…).
        if (!same || force) explain(chat.kind ? "loading-" + chat.kind : "loading");
        shown = { entry: chat.entry, id: chat.id };
        current = chat;
        return render(chat, mine)
          .catch(function () {
            if (mine === generation) explain("network");
          })
          .then(function () {
            // The library loads after the customer panel, never before it.
            if (mine === generation) offerLibrary(chat, force);
          });
      })
      .catch(function (error) {
        if (mine !== generation) return;
        // A refused signature surfaces from the SDK in its own words; say what really failed.
        var message = host.refusal() || messageOf(error);
        // What the host can repair (a ticket WeCom stopped honouring) is repaired once, and
        // the page looks again without a word; only what remains is explained and reported.
        return host.heal(message).then(function (repaired) {
          if (mine !== generation) return;
          shown = null;
          if (repaired) return check(force);
          current = null;
          offerLibrary(null);
          explain(causeOf(message), message);
          report(message, error.entry);
        });
      });
  }

  // The reply library (话术) ------------------------------------------------------------

  function say(id) {
    return document.getElementById("say-" + id).content.textContent;
  }

  function showView(view) {
    panel.hidden = view !== "panel";
    library.hidden = view !== "library";
    tabs.querySelectorAll(".tab").forEach(function (tab) {
      tab.setAttribute("aria-pressed", String(tab.dataset.view === view));
    });
  }

  // Show the library tab where replies can be sent from. The shared library loads once per
  // entry (every staff member's is the same); what is the staff member's own (their replies,
  // stars, the names the previews fill in) loads for each chat and goes into its slot. From
  // the chat attachment bar the library is the main view.
  function offerLibrary(chat, force) {
    var entry = chat && chat.entry;
    var sendable = entry && boot.sendEntries.indexOf(entry) !== -1;
    tabs.hidden = !sendable;
    if (!sendable) {
      libraryEntry = null;
      mineHtml = "";
      showView("panel");
      return;
    }
    if (entry === "chat_attachment" && libraryEntry !== entry) showView("library");
    loadMine(chat);
    if (libraryEntry === entry && !force) return;
    libraryEntry = entry;
    // The library comes in parts (sidebar/replies/pieces.py): the first is its head (the
    // first screen, placeholders for the rest), each other a few runs.
    var address = boot.endpoints.library + "?entry=" + encodeURIComponent(entry) + "&part=";
    var unpack = null;
    var count = 1;
    function current() {
      return libraryEntry === entry;
    }
    function unpackCurrent(html) {
      return current() ? unpack(html) : false;
    }
    function part(number) {
      return fetch(address + number, { credentials: "same-origin" }).then(function (response) {
        // The head is shown whatever it says (a refusal explains itself); a later part that
        // fails leaves the library to be asked again on the next look.
        if (number && !response.ok) throw new Error("HTTP " + response.status);
        return response;
      });
    }
    function head(html) {
      if (!current()) return false;
      if (unpack) return unpack(html); // a server without parts: all in one
      var template = document.createElement("template");
      template.innerHTML = html;
      library.replaceChildren(template.content);
      placeMine();
      unpack = unpacker();
    }
    // Each part after the head is asked once the one before it has arrived, while that one
    // is taken in: one arrival at a time (two together made one long task again), and no
    // round trip's wait between. The head says how many parts there are.
    function load(number, asked) {
      if (!asked || !current()) return null;
      return asked.then(function (response) {
        if (!number) count = parseInt(response.headers.get("X-Sidebar-Parts") || "1", 10);
        var next = null;
        return readRuns(response, number ? unpackCurrent : head, function () {
          if (number + 1 < count && current()) next = part(number + 1);
        }).then(function () {
          return load(number + 1, next);
        });
      });
    }
    Promise.resolve(load(0, part(0))).catch(function () {
      if (libraryEntry === entry) libraryEntry = null; // try again on the next look
    });
  }

  var mineHtml = ""; // the last `mine` fragment, for the chat the panel shows

  function chatQuery(chat) {
    var query = new URLSearchParams({ entry: chat.entry });
    Object.keys(chat.fields || {}).forEach(function (name) {
      query.append(name, chat.fields[name]);
    });
    return query.toString();
  }

  function loadMine(chat) {
    chat = chat || current;
    if (!chat) return Promise.resolve();
    return fetch(boot.endpoints.mine + "?" + chatQuery(chat), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (!sameChat(current, chat)) return;
        mineHtml = html;
        placeMine();
      })
      .catch(function () {}); // the shared library still works; the next look tries again
  }

  // Put the staff member's own part into the library, fill the previews' names and mark
  // the stars.
  var fills = {}; // placeholder -> the value a send fills in, for this chat
  var stars = []; // the ids of the replies this staff member starred
  function placeMine() {
    var slot = library.querySelector(".library-mine");
    if (!slot) return;
    var template = document.createElement("template");
    template.innerHTML = mineHtml;
    slot.replaceChildren(template.content);
    fills = readJson(slot, "#reply-fills", {});
    stars = readJson(slot, "#reply-stars", []);
    dress(library);
    filterLibrary();
  }

  // The previews' names and the stars, on the replies under `root`.
  function dress(root) {
    root.querySelectorAll(".ph[data-ph]").forEach(function (mark) {
      var value = fills[mark.dataset.ph];
      mark.textContent = value || mark.dataset.ph;
      mark.classList.toggle("filled", !!value);
    });
    root.querySelectorAll(".star[data-star]").forEach(function (star) {
      var on = stars.indexOf(Number(star.closest(".reply").dataset.reply)) !== -1;
      star.setAttribute("aria-pressed", String(on));
      star.firstChild.textContent = on ? "★" : "☆";
    });
  }

  // Beyond the first screen the library's replies follow its HTML in runs, each after
  // RUN_MARK, with a placeholder where they belong (sidebar/replies/pieces.py): one run per
  // task becomes replies in its place, so a library of a thousand never holds the page for
  // long on a slow phone.
  var RUN_MARK = "<!--sidebar:run-->";
  var unpacking = 0;
  // A function that takes the library's runs in order and puts each in its place, one per
  // task (never in the task that put the library in); another library stops it.
  function unpacker() {
    var mine = ++unpacking;
    var waiting = [];
    var number = 0;
    var busy = false;
    function next() {
      busy = false;
      if (mine !== unpacking || !waiting.length) return; // another library, or nothing yet
      var place = library.querySelector('.replies-later[data-run="' + number + '"]');
      var template = document.createElement("template");
      template.innerHTML = waiting.shift();
      number += 1;
      if (place) {
        dress(template.content);
        place.replaceWith(template.content);
        filterLibrary();
      }
      soon();
    }
    function soon() {
      if (busy || !waiting.length) return;
      busy = true;
      setTimeout(next, 0);
    }
    return function (html) {
      waiting.push(html);
      soon();
    };
  }

  // A response of the library, a run at a time as it arrives: `take(run)` for each (false
  // from it: stop reading); `arrived()` once its first bytes are in. On a fast network a
  // megabyte arrives at once, and taken whole (response.text()) it held a slow phone's main
  // thread for 55-75 ms; read as a stream it is decoded a slice per task.
  var SLICE = 32 * 1024;
  function readRuns(response, take, arrived) {
    var first = true;
    function arriving() {
      if (first && arrived) arrived();
      first = false;
    }
    if (!response.body || !window.TextDecoder) {
      return response.text().then(function (html) {
        arriving();
        html.split(RUN_MARK).every(function (run) {
          return take(run) !== false;
        });
      });
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var pending = "";
    var stopped = false;
    function hand(text, last) {
      var runs = (pending + text).split(RUN_MARK);
      pending = last ? "" : runs.pop();
      for (var i = 0; i < runs.length && !stopped; i++) stopped = take(runs[i]) === false;
    }
    // Each slice in a task of its own, not in the one the bytes arrived in.
    function decode(bytes, at) {
      if (stopped || at >= bytes.length) return Promise.resolve();
      return nextTask().then(function () {
        var end = Math.min(at + SLICE, bytes.length);
        hand(decoder.decode(bytes.subarray(at, end), { stream: true }), false);
        return decode(bytes, end);
      });
    }
    function read() {
      return reader.read().then(function (part) {
        arriving(); // its bytes are here, on a fast network all of them: ask for the next
        if (stopped) return reader.cancel();
        if (part.done) return hand(decoder.decode(), true);
        return decode(part.value, 0).then(read);
      });
    }
    return read();
  }

  function nextTask() {
    return new Promise(function (done) {
      setTimeout(done, 0);
    });
  }

  function readJson(root, selector, fallback) {
    var node = root.querySelector(selector);
    try {
      return node ? JSON.parse(node.textContent) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  // Replies of one's own, stars and copying ------------------------------------------------

  function starReply(button) {
    var body = new URLSearchParams();
    body.append("on", button.getAttribute("aria-pressed") === "true" ? "0" : "1");
    button.disabled = true;
    return post(button.dataset.star, body)
      .then(function (response) {
        return response.json().then(function (answer) {
          if (answer.error) showSaid(button.closest(".reply"), { title: answer.error }, false);
          return loadMine();
        });
      })
      .catch(function () {
        showSaid(button.closest(".reply"), { title: say("network") }, false);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function ownForm() {
    return library.querySelector(".own-form");
  }

  // Open the form for a new reply, or for `item` (one of the staff member's own) to change.
  function openOwnForm(item) {
    var form = ownForm();
    form.hidden = false;
    form.dataset.action = item ? item.dataset.edit : form.dataset.create;
    form.elements.title.value = item ? item.dataset.title : "";
    form.elements.text.value = item ? item.dataset.text : "";
    form.querySelector(".own-error").hidden = true;
    library.querySelector(".own-new").setAttribute("aria-expanded", "true");
    form.elements.title.focus();
  }

  function closeOwnForm() {
    ownForm().hidden = true;
    library.querySelector(".own-new").setAttribute("aria-expanded", "false");
  }

  function saveOwn(form) {
    var error = form.querySelector(".own-error");
    var button = form.querySelector(".own-save");
    button.disabled = true;
    return post(form.dataset.action, new URLSearchParams(new FormData(form)))
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (answer.error) {
          error.textContent = answer.error;
          error.hidden = false;
          return null;
        }
        return loadMine();
      })
      .catch(function () {
        error.textContent = say("network");
        error.hidden = false;
      })
      .then(function () {
        button.disabled = false;
      });
  }

  // Deleting asks once more on the same button, never in a dialog.
  function deleteOwn(item, button) {
    if (!button.dataset.confirming) {
      button.dataset.confirming = "1";
      button.textContent = say("confirm-delete");
      return;
    }
    button.disabled = true;
    post(item.dataset.delete, new URLSearchParams())
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (answer.error) return showSaid(item, { title: answer.error }, false);
        return loadMine();
      })
      .catch(function () {
        showSaid(item, { title: say("network") }, false);
        button.disabled = false;
      });
  }

  // A text reply as the customer would get it (names filled in), on the device's clipboard.
  function copyReply(item) {
    var text = item.querySelector(".bubble-text").innerText;
    host.copy(text).then(
      function () {
        showSaid(item, { title: say("copied") }, true);
      },
      function () {
        showSaid(item, { title: say("copy-failed") }, false);
      }
    );
  }

  function filterLibrary() {
    var input = library.querySelector(".library-search");
    var query = input ? input.value.trim().toLowerCase() : "";
    var pressed = library.querySelector(".chip[aria-pressed=true]");
    var category = pressed ? pressed.dataset.category : "";
    var any = false;
    library.querySelectorAll(".reply-category").forEach(function (section) {
      var inCategory = !category || section.dataset.category === category;
      var visible = 0;
      section.querySelectorAll(".reply").forEach(function (item) {
        var match = inCategory && (!query || item.dataset.search.indexOf(query) !== -1);
        item.hidden = !match;
        if (match) visible++;
      });
      // One's own section stays, with its button to write a reply, until a search or a
      // category narrows the library.
      var keep = section.classList.contains("reply-own") && !query && !category;
      section.hidden = visible === 0 && !keep;
      if (visible) any = true;
    });
    var empty = library.querySelector(".library-empty");
    if (empty) empty.hidden = any;
  }

  function showSaid(item, said, good) {
    var status = item.querySelector(".reply-status");
    status.textContent = said.title;
    status.className = "reply-status " + (good ? "said-ok" : "said-fail");
    var old = item.querySelector(".reply-said");
    if (old) old.remove();
    if (good || !(said.detail || said.action || said.technical)) return;
    var box = document.createElement("div");
    box.className = "reply-said";
    [said.detail, said.action].forEach(function (text) {
      if (!text) return;
      var line = document.createElement("p");
      line.textContent = text;
      box.appendChild(line);
    });
    if (said.technical) box.appendChild(technicalFold(said.technical));
    item.appendChild(box);
  }

  // Words for whoever fixes it (the client's own message, codes), folded under 技术细节.
  function technicalFold(text) {
    var fold = document.getElementById("say-technical").content.firstElementChild.cloneNode(true);
    fold.querySelector("[data-slot=raw]").textContent = text;
    return fold;
  }

  // How long the page keeps asking while a reply's file is on its way to WeCom (the server's
  // upload may take up to WECOM_UPLOAD_TIMEOUT, two minutes by default).
  var UPLOAD_PATIENCE_MS = 180 * 1000;

  function sameChat(a, b) {
    return !!a && !!b && a.entry === b.entry && a.id === b.id;
  }

  function pause(seconds) {
    return new Promise(function (resolve) {
      setTimeout(resolve, seconds * 1000);
    });
  }

  // Ask the server for the message (it checks, fills and uploads), hand it to the client,
  // report the client's answer. A media_id the client found dead is replaced once. While the
  // file is still uploading the server says so, and the page asks again, for the same chat
  // only: the client sends into whatever chat is open, so a chat left meanwhile gets nothing.
  function sendReply(item, retryOf, waiting) {
    var button = item.querySelector(".send");
    var chat = waiting ? waiting.chat : current;
    if (!chat) return Promise.resolve();
    if (waiting && !sameChat(current, chat)) {
      showSaid(item, { title: say("chat-changed") }, false);
      return Promise.resolve();
    }
    button.disabled = true;
    if (!waiting) showSaid(item, { title: say("sending") }, true);
    var form = new URLSearchParams();
    form.append("entry", chat.entry);
    Object.keys(chat.fields || {}).forEach(function (name) {
      form.append(name, chat.fields[name]);
    });
    var enterChat = library.querySelector("[data-enter-chat]");
    if (enterChat && enterChat.checked) form.append("enter_chat", "on");
    if (retryOf) form.append("retry_of", retryOf);
    return post(button.dataset.send, form)
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (answer.refused) return showSaid(item, answer.refused, false);
        if (answer.pending) {
          var since = waiting ? waiting.since : Date.now();
          if (Date.now() - since > UPLOAD_PATIENCE_MS) {
            return showSaid(item, { title: say("upload-slow") }, false);
          }
          showSaid(item, answer.pending, true);
          return pause(answer.retry_after || 3).then(function () {
            return sendReply(item, retryOf, { chat: chat, since: since });
          });
        }
        if (!answer.message) return showSaid(item, { title: answer.error || say("network") }, false);
        var started = Date.now();
        return host.send(answer.message).then(
          function (result) { return finishSend(item, answer, result, started, retryOf); },
          function (result) { return finishSend(item, answer, result, started, retryOf); }
        );
      })
      .catch(function () {
        showSaid(item, { title: say("network") }, false);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function finishSend(item, answer, result, started, retryOf) {
    var said = messageOf(result);
    var body = JSON.stringify({ err_msg: said.slice(0, 500), duration_ms: Date.now() - started });
    return deliver(answer.result, body, function () {
      showSaid(item, { title: say("recording") }, true);
    }).then(
      function (verdict) {
        if (verdict.retry && !retryOf) return sendReply(item, String(answer.send));
        var fallback = { title: say("not-sent"), technical: said };
        showSaid(item, verdict.said || fallback, verdict.outcome === "sent");
      },
      function () {
        // Not recorded yet: the page keeps the answer and delivers it on its next load.
        showSaid(item, { title: say("unrecorded") }, false);
      }
    );
  }

  // The client's answer to a send is recorded whatever happens to the network or the
  // database on the way: it is kept in this device's storage until the server has it, and
  // posted again after growing pauses; a page opened later delivers what an earlier one
  // could not. A 4xx means the server has it already, or never will: it is dropped.
  var UNDELIVERED = "sidebar.undelivered-results";
  var RETRY_PAUSES = [1, 2, 4, 8, 15, 15, 15, 30, 30, 60, 60, 60]; // seconds, ~5 minutes

  function undelivered() {
    try {
      return JSON.parse(localStorage.getItem(UNDELIVERED) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function keepUndelivered(url, body) {
    try {
      var kept = undelivered();
      if (body === null) delete kept[url];
      else kept[url] = body;
      localStorage.setItem(UNDELIVERED, JSON.stringify(kept));
    } catch (e) {
      // No storage (a private webview): the retries below still run while the page is open.
    }
  }

  function deliver(url, body, waiting) {
    keepUndelivered(url, body);
    function attempt(n) {
      return post(url, body, "application/json").then(
        function (response) {
          if (response.status >= 500) return later(n);
          keepUndelivered(url, null);
          return response.json();
        },
        function () {
          return later(n);
        }
      );
    }
    function later(n) {
      if (n >= RETRY_PAUSES.length) return Promise.reject(new Error("not recorded yet"));
      if (waiting) waiting();
      return new Promise(function (resolve) {
        setTimeout(resolve, RETRY_PAUSES[n] * 1000);
      }).then(function () {
        return attempt(n + 1);
      });
    }
    return attempt(0);
  }

  function deliverUndelivered() {
    var kept = undelivered();
    Object.keys(kept).forEach(function (url) {
      deliver(url, kept[url]).catch(function () {});
    });
  }

  // Acting in the chat --------------------------------------------------------------------

  // Open a chat with a group member (a colleague, or a customer the staff member added), or a
  // customer group (its chatId); a failure is said beside the button, the panel stays.
  function openChat(button) {
    var ids = button.dataset.openUser
      ? { userIds: [button.dataset.openUser] }
      : button.dataset.openChat
        ? { chatId: button.dataset.openChat }
        : { externalUserIds: [button.dataset.openExternal] };
    var item = button.closest("li") || button.parentNode;
    var old = item.querySelector(".action-said");
    if (old) old.remove();
    button.disabled = true;
    host
      .openChat(ids)
      .catch(function (error) {
        var line = document.createElement("div");
        line.className = "action-said";
        line.textContent = say("open-failed");
        line.appendChild(technicalFold(messageOf(error)));
        item.appendChild(line);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  // A picture in the host's full-screen viewer (an absolute URL, as the viewer needs).
  function preview(image) {
    var url = new URL(image.getAttribute("src"), location.href).href;
    host.previewImage(url, [url]).catch(function () {});
  }

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("[data-open-user], [data-open-external], [data-open-chat]");
    if (button && !button.disabled) return openChat(button);
    var more = event.target.closest(".members-more-button");
    if (more) return moreMembers(more);
    var image = event.target.closest("img[data-preview]");
    if (image) preview(image);
  });

  tabs.addEventListener("click", function (event) {
    var tab = event.target.closest(".tab");
    if (tab) showView(tab.dataset.view);
  });
  library.addEventListener("input", function (event) {
    if (event.target.classList.contains("library-search")) filterLibrary();
  });
  library.addEventListener("click", function (event) {
    var chip = event.target.closest(".chip");
    if (chip) {
      library.querySelectorAll(".chip").forEach(function (other) {
        other.setAttribute("aria-pressed", String(other === chip));
      });
      filterLibrary();
      return;
    }
    var image = event.target.closest(".reply .bubble-image");
    if (image) return preview(image);
    var button = event.target.closest("button");
    if (!button || button.disabled) return;
    var item = button.closest(".reply");
    if (button.classList.contains("send")) return sendReply(item);
    if (button.classList.contains("star")) return starReply(button);
    if (button.classList.contains("copy-reply")) return copyReply(item);
    if (button.classList.contains("edit")) return openOwnForm(item);
    if (button.classList.contains("delete")) return deleteOwn(item, button);
    if (button.classList.contains("own-new")) return openOwnForm(null);
    if (button.classList.contains("own-cancel")) return closeOwnForm();
    if (button.classList.contains("own-insert")) return insertPlaceholder(button.dataset.insert);
  });
  library.addEventListener("submit", function (event) {
    if (!event.target.classList.contains("own-form")) return;
    event.preventDefault();
    saveOwn(event.target);
  });

  function insertPlaceholder(text) {
    var area = ownForm().elements.text;
    var at = area.selectionStart == null ? area.value.length : area.selectionStart;
    area.value = area.value.slice(0, at) + text + area.value.slice(area.selectionEnd || at);
    area.focus();
    area.setSelectionRange(at + text.length, at + text.length);
  }

  // Looking again while a look is under way waits for it, then looks once more: a page that
  // becomes visible while it loads must not look the chat up twice.
  var looking = null;
  var lookAgain = false;
  function recheck() {
    if (looking) {
      lookAgain = true;
      return;
    }
    looking = check(false).then(function () {
      looking = null;
      if (lookAgain) {
        lookAgain = false;
        recheck();
      }
    });
  }

  document.getElementById("refresh").addEventListener("click", function () {
    check(true);
  });
  // On phones the webview outlives the chat it was opened from: look again when it returns.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") recheck();
  });
  recheck();
  deliverUndelivered();
})();
