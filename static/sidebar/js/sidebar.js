/*
 * The toolbar page: register the official JS-SDK with the server's signatures, ask the client
 * where the page was opened and what is in the chat, and show the server's answer.
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
  var lastSignedUrl = boot.url;
  // Why the server last refused to sign a URL the SDK asked for (null: it did not refuse).
  var signingRefused = null;
  var REFUSED = "sidebar: the server would not sign ";
  var generation = 0;
  var shown = null; // {entry, id} of what the panel shows now
  var current = null; // the chat the panel shows: {entry, kind?, id, fields?}
  var reported = {};
  var library = document.getElementById("library");
  var tabs = document.getElementById("tabs");
  var libraryEntry = null; // the entry the library was loaded for

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
    if (message.indexOf(REFUSED) === 0) return "resign-refused";
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

  // Tell the server, once per failure, what the client refused: admins see it with a
  // diagnosis. Best effort: a report that cannot be sent changes nothing on the page.
  function report(message, entry) {
    if (reported[message]) return;
    reported[message] = true;
    var body = {
      error: message.slice(0, 500),
      signed_url: lastSignedUrl.slice(0, 2048),
      page_url: location.href.slice(0, 2048),
      entry: (entry || "").slice(0, 64),
      user_agent: navigator.userAgent.slice(0, 512),
    };
    post(boot.endpoints.reports, JSON.stringify(body), "application/json").catch(function () {});
  }

  // ww.register() starts config/agentConfig and drops the promise it gets back, so a refused
  // signature also surfaces as an unhandled rejection. The same failure reaches check() below,
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

  // What is in the chat now: {entry, kind?, id?, fields?}.
  function currentChat() {
    return currentEntry().then(function (entry) {
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
  }

  function render(chat, mine) {
    if (!chat.kind) {
      return fetch(boot.endpoints.home + "?entry=" + encodeURIComponent(chat.entry), {
        credentials: "same-origin",
      }).then(function (response) {
        return finish(response, mine);
      });
    }
    var form = new FormData();
    form.append("entry", chat.entry);
    Object.keys(chat.fields).forEach(function (name) {
      form.append(name, chat.fields[name]);
    });
    return post(boot.endpoints.lookup.replace("KIND", chat.kind), form).then(function (response) {
      return finish(response, mine);
    });
  }

  function finish(response, mine) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("text/html") !== 0) throw new Error("HTTP " + response.status);
    return response.text().then(function (html) {
      if (mine === generation) showHtml(html);
    });
  }

  // Ask the client what is in the chat; show it unless the panel shows it already. The panel
  // never keeps the previous chat's content while a new one is fetched.
  function check(force) {
    var mine = ++generation;
    if (!ww.env.isWeCom) {
      explain("outside-wecom");
      return Promise.resolve();
    }
    if (force) explain("loading");
    return currentChat()
      .then(function (chat) {
        if (mine !== generation) return null;
        var same = shown && shown.entry === chat.entry && shown.id === chat.id;
        if (same && !force) return null;
        if (!same) explain("loading");
        shown = { entry: chat.entry, id: chat.id };
        current = chat;
        return render(chat, mine)
          .catch(function () {
            if (mine === generation) explain("network");
          })
          .then(function () {
            // The library loads after the customer panel, never before it.
            if (mine === generation) offerLibrary(chat.entry, force);
          });
      })
      .catch(function (error) {
        if (mine !== generation) return;
        shown = null;
        current = null;
        offerLibrary(null);
        // A refused signature surfaces from the SDK in its own words; say what really failed.
        var message = signingRefused || messageOf(error);
        explain(causeOf(message), message);
        report(message, error.entry);
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

  // Show the library tab where replies can be sent from; load it once per entry. From the
  // chat attachment bar the library is the main view.
  function offerLibrary(entry, force) {
    var sendable = entry && boot.sendEntries.indexOf(entry) !== -1;
    tabs.hidden = !sendable;
    if (!sendable) {
      libraryEntry = null;
      showView("panel");
      return;
    }
    if (entry === "chat_attachment" && libraryEntry !== entry) showView("library");
    if (libraryEntry === entry && !force) return;
    libraryEntry = entry;
    fetch(boot.endpoints.library + "?entry=" + encodeURIComponent(entry), {
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.text().then(function (html) {
          if (libraryEntry !== entry) return;
          var template = document.createElement("template");
          template.innerHTML = html;
          library.replaceChildren(template.content);
        });
      })
      .catch(function () {
        if (libraryEntry === entry) libraryEntry = null; // try again on the next look
      });
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
      section.hidden = visible === 0;
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
    if (good || !(said.detail || said.action)) return;
    var box = document.createElement("div");
    box.className = "reply-said";
    [said.detail, said.action].forEach(function (text) {
      if (!text) return;
      var line = document.createElement("p");
      line.textContent = text;
      box.appendChild(line);
    });
    item.appendChild(box);
  }

  // Ask the server for the message (it checks, fills and uploads), hand it to the client,
  // report the client's answer. A media_id the client found dead is replaced once.
  function sendReply(item, retryOf) {
    var button = item.querySelector(".send");
    var chat = current;
    if (!chat) return Promise.resolve();
    button.disabled = true;
    showSaid(item, { title: say("sending") }, true);
    var form = new FormData();
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
        if (!answer.message) return showSaid(item, { title: answer.error || say("network") }, false);
        var started = Date.now();
        return ww.sendChatMessage(answer.message).then(
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
    return post(answer.result, body, "application/json")
      .then(function (response) {
        return response.json();
      })
      .then(function (verdict) {
        if (verdict.retry && !retryOf) return sendReply(item, String(answer.send));
        showSaid(item, verdict.said || { title: said }, verdict.outcome === "sent");
      });
  }

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
    var button = event.target.closest(".send");
    if (button && !button.disabled) sendReply(button.closest(".reply"));
  });

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
})();
