/*
 * The emulator panel: holds the chat the emulated client is in (read by bridge-setup.js in the
 * framed sidebar), steers the stand-in through the app's emulator routes, and shows its call
 * counters. Choices survive a reload (localStorage).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("emulator-config").textContent);
  var frame = document.getElementById("sidebar");
  var entrySelect = document.getElementById("entry");
  var chatSelect = document.getElementById("chat");
  var versionSelect = document.getElementById("version");
  var platformSelect = document.getElementById("platform");
  var cancelSends = document.getElementById("cancel-sends");
  var hostSelect = document.getElementById("host");
  var accountSelect = document.getElementById("juzi-account");
  // Juzi's sidebar: its console on the Juzi stand-in's origin frames the Juzi page.
  var juzi = config.juzi;
  var juziOrigin = juzi ? new URL(juzi.console).origin : null;
  var JUZI_ENTRIES = ["single_chat_tools", "group_chat_tools", "normal"];
  var transcript = document.getElementById("transcript");
  var status = document.getElementById("status");
  var STORAGE_KEY = "sidebar-emulator";
  // The emulated client's user agent reaches the server in this cookie (EmulatedUserAgentMiddleware).
  var UA_COOKIE = "sidebar-emulator-ua";
  // User agents as each client sends them (docs/wecom.md, "Client versions"); VERSION is replaced.
  var USER_AGENTS = {
    android: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) " +
      "Chrome/126.0 Mobile Safari/537.36 wxwork/VERSION MicroMessenger/7.0.1 Language/zh ColorScheme/Light",
    ios: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
      "Mobile/15E148 wxwork/VERSION MicroMessenger/7.0.1 Language/zh ColorScheme/Light",
    windows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
      "Chrome/126.0 Safari/537.36 wxwork/VERSION MicroMessenger/7.0.1 Language/zh ColorScheme/Light",
    mac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
      "wxwork/VERSION MicroMessenger/7.0.1 Language/zh ColorScheme/Light",
  };
  var CUSTOMER_APIS = [
    "/cgi-bin/externalcontact/get",
    "/cgi-bin/externalcontact/groupchat/get",
    "/cgi-bin/kf/customer/batchget",
  ];
  var corp = null;
  var saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
  } catch (error) {
    saved = {};
  }

  // Which chats each entry can have open: [value, label] pairs from the stand-in's corp.
  function chatsFor(entry) {
    if (!corp) return [];
    if (entry === "single_chat_tools" || entry === "contact_profile") {
      return corp.customers.map(function (c) {
        return [c.id, c.name + " · " + c.id + " · " + c.followers.join(", ")];
      });
    }
    if (entry === "group_chat_tools") {
      return corp.groups.map(function (g) { return [g.id, g.name + " · " + g.id]; });
    }
    if (entry === "single_kf_tools") {
      return corp.kf_customers.map(function (k) { return [k.id, k.name + " · " + k.id]; });
    }
    var chain = [];
    corp.chain_corps.forEach(function (downstream) {
      if (entry === "chain_single_chat_tools") {
        downstream.contacts.forEach(function (c) {
          chain.push([downstream.corpid + "/" + c.userid, c.name + " · " + downstream.corp_name]);
        });
      } else if (entry === "chain_group_chat_tools") {
        downstream.groups.forEach(function (g) {
          chain.push([g.chat_id, g.name + " · " + downstream.corp_name]);
        });
      }
    });
    return chain;
  }

  function fillChats() {
    var options = chatsFor(entrySelect.value);
    chatSelect.replaceChildren();
    options.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      chatSelect.appendChild(option);
    });
    chatSelect.disabled = options.length === 0;
    if (saved.chat && options.some(function (p) { return p[0] === saved.chat; })) {
      chatSelect.value = saved.chat;
    }
  }

  function userAgent() {
    return USER_AGENTS[platformSelect.value].replace("VERSION", versionSelect.value);
  }

  function juziMode() {
    return Boolean(juzi) && hostSelect.value === "juzi";
  }

  // Show the controls of the chosen host; in Juzi, the entries a Juzi chat can be.
  function showHost() {
    document.querySelectorAll("[data-host]").forEach(function (node) {
      node.hidden = node.dataset.host !== hostSelect.value;
    });
    Array.prototype.forEach.call(entrySelect.options, function (option) {
      option.disabled = juziMode() && JUZI_ENTRIES.indexOf(option.value) === -1;
    });
    if (entrySelect.selectedOptions[0] && entrySelect.selectedOptions[0].disabled) {
      entrySelect.value = "single_chat_tools";
      fillChats();
    }
  }

  // The chat Juzi's console has open (getCurChatInfo): "normal" plays an internal chat.
  function juziChat() {
    var chat = { botId: accountSelect.value };
    var value = chatSelect.disabled ? "" : chatSelect.value;
    if (entrySelect.value === "group_chat_tools") chat.group = value;
    else if (entrySelect.value === "single_chat_tools") chat.customer = value;
    else chat.internal = true;
    return chat;
  }

  function juziApi(action, body) {
    return post(juzi.api.replace("ACTION", action), body);
  }

  function fillAccounts() {
    if (!juzi) return Promise.resolve();
    return fetch(juzi.api.replace("ACTION", "state"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        accountSelect.replaceChildren();
        state.accounts.forEach(function (account) {
          var option = document.createElement("option");
          option.value = account.bot_id;
          option.textContent = account.name + " · " + account.user_id + " @ " + account.corp_id;
          accountSelect.appendChild(option);
        });
        if (saved.account) accountSelect.value = saved.account;
      })
      .catch(function (error) { say(String(error)); });
  }

  function save() {
    saved = {
      host: hostSelect.value,
      account: accountSelect.value,
      entry: entrySelect.value,
      chat: chatSelect.value,
      version: versionSelect.value,
      platform: platformSelect.value,
    };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
    document.cookie = UA_COOKIE + "=" + encodeURIComponent(userAgent()) + "; path=/; SameSite=Strict";
  }

  // One message in the transcript: who it went to, and the bubble the server renders for it.
  function showMessage(sent) {
    var item = document.createElement("li");
    var meta = document.createElement("span");
    meta.className = "meta";
    var chat = chatSelect.selectedOptions[0];
    meta.textContent = [
      new Date().toLocaleTimeString(),
      chat ? chat.textContent.split(" · ")[0] : sent.chat.entry,
      sent.enteredChat ? "↪" : "",
    ].join(" ");
    item.dataset.msgtype = sent.message.msgtype;
    item.appendChild(meta);
    transcript.appendChild(item);
    document.getElementById("transcript-empty").hidden = true;
    post(config.bubble, { message: sent.message })
      .then(function (answer) {
        var bubble = document.createElement("div");
        bubble.innerHTML = answer.html; // rendered and escaped by the server
        item.appendChild(bubble.firstElementChild || bubble);
        var chatBox = transcript.parentElement; // newest at the bottom, in view, as chats do
        chatBox.scrollTop = chatBox.scrollHeight;
      })
      .catch(function (error) {
        var failed = document.createElement("code");
        failed.textContent = JSON.stringify(sent.message) + " (" + error.message + ")";
        item.appendChild(failed);
      });
  }

  // What the emulated client is showing now; bridge-setup.js asks at every toolbar call.
  window.__EMULATOR__ = {
    userAgent: userAgent,
    confirm: function () {
      return !cancelSends.checked;
    },
    chat: function () {
      var entry = entrySelect.value;
      var value = chatSelect.disabled ? "" : chatSelect.value;
      var chat = { entry: entry };
      if (!value) return chat;
      if (entry === "group_chat_tools" || entry === "chain_group_chat_tools") {
        chat.chatId = value;
      } else if (entry === "chain_single_chat_tools") {
        chat.corpId = value.split("/")[0];
        chat.userId = value.split("/").slice(1).join("/");
      } else {
        chat.userId = value;
      }
      return chat;
    },
    recordMessage: showMessage,
    // Opening a chat, previewing a picture, copying: said in the status line, as in Juzi mode.
    recordAction: function (name, params, result) {
      say(actionWords(name, params, result.err_msg || ""));
    },
  };

  function actionWords(name, params, said) {
    if (!/:ok$/.test(said)) return name + " → " + said;
    if (name === "openEnterpriseChat") {
      var who = params.chatId || [params.userIds, params.externalUserIds].filter(Boolean).join(";");
      return "企业微信打开了聊天：" + who;
    }
    if (name === "setClipboardData") return "已复制到剪贴板：" + String(params.data).slice(0, 60);
    return "企业微信显示了图片：" + params.current;
  }

  // Switching the chat: the desktop client reloads the toolbar page; a phone keeps the page
  // and brings it back into view (the page must notice the new chat itself).
  // `juziPage`: what the console frames instead of the Juzi page (its sign-in).
  function reopen(juziPage) {
    if (!juziMode()) {
      frame.src = config.sidebar;
      return;
    }
    var page = typeof juziPage === "string" ? juziPage : juzi.page;
    // The console's chat names a hosted account: not before the list of them has loaded.
    accountsLoaded
      .then(function () {
        return juziApi("chat", { chat: juziChat() });
      })
      .then(function () {
        frame.src = juzi.console + "?page=" + encodeURIComponent(page);
      })
      .catch(function (error) { say(error.message); });
  }

  // What Juzi's console relays from its sidebar: sends join the transcript; other actions
  // (opening a chat, previewing a picture) are said in the status line.
  window.addEventListener("message", function (event) {
    if (!juziOrigin || event.origin !== juziOrigin || !event.data || !event.data.juziConsole) return;
    var call = event.data.juziConsole;
    var answer = event.data.answer || {};
    if (call === "sendChatMessage" && /:ok$/.test(answer.err_msg || "")) {
      showMessage({ chat: juziChat(), message: event.data.params, enteredChat: false });
    } else if (call === "openEnterpriseChat" || call === "previewImage") {
      say(actionWords(call, event.data.params || {}, answer.err_msg || ""));
    }
  });

  function switchChat() {
    var keep = document.getElementById("phone").checked;
    var page = null;
    try {
      page = frame.contentWindow.__EMULATOR_LEAVE_AND_RETURN__;
    } catch (error) {
      page = null; // the frame is on the stand-in's sign-in page
    }
    if (keep && page && !juziMode()) page();
    else reopen();
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "HTTP " + response.status);
        return data;
      });
    });
  }

  function say(text) {
    status.textContent = text;
  }

  function refreshState() {
    return fetch(config.state, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        corp = state;
        var rows = Object.keys(state.calls).sort().map(function (path) {
          var row = document.createElement("tr");
          var name = document.createElement("td");
          var count = document.createElement("td");
          name.textContent = path.replace("/cgi-bin/", "");
          count.textContent = state.calls[path];
          row.append(name, count);
          return row;
        });
        var body = document.querySelector("#calls tbody");
        body.replaceChildren.apply(body, rows);
        showAppMessages(state.app_messages || []);
        return state;
      })
      .catch(function (error) { say(String(error)); });
  }

  // The app messages staff received (a follow-up reminder is a textcard): who, when, the card,
  // and a button that opens its link in the sidebar as WeCom would (outside any chat).
  var shownMessages = "";
  function showAppMessages(messages) {
    var key = messages.map(function (m) { return m.msgid + m.userid; }).join();
    if (key === shownMessages) return;
    shownMessages = key;
    var list = document.getElementById("app-messages");
    document.getElementById("messages-empty").hidden = messages.length > 0;
    list.replaceChildren.apply(list, messages.map(appMessage));
  }

  function appMessage(message) {
    var item = document.createElement("li");
    item.className = "app-message";
    var to = document.createElement("p");
    to.className = "to";
    var staff = (corp.staff || []).filter(function (s) { return s.userid === message.userid; })[0];
    to.textContent = "→ " + (staff ? staff.name : message.userid) + " · " +
      new Date(message.at * 1000).toLocaleTimeString();
    var title = document.createElement("h3");
    title.textContent = message.title;
    item.append(to, title);
    // The card's description is WeCom's small HTML (<div class="gray|normal|highlight">):
    // parsed inert, and only its text is shown.
    var card = new DOMParser().parseFromString(message.description, "text/html");
    card.body.querySelectorAll("div").forEach(function (div) {
      var line = document.createElement("p");
      line.className = div.className === "gray" ? "gray" : "normal";
      line.textContent = div.textContent;
      item.appendChild(line);
    });
    var open = document.createElement("button");
    open.type = "button";
    open.textContent = message.btntxt;
    open.addEventListener("click", function () {
      var link = new URL(message.url, location.href);
      if (link.origin !== location.origin) return say(message.url);
      if (juziMode()) {
        hostSelect.value = "wecom"; // app messages arrive in the WeCom client
        showHost();
      }
      entrySelect.value = "normal"; // opened from the message, not from a chat's toolbar
      fillChats();
      save();
      frame.src = link.pathname + link.search;
    });
    item.appendChild(open);
    return item;
  }

  // As the production timer runs `manage.py send_reminders` every minute.
  function sendReminders() {
    post(config.app["send-reminders"]).catch(function (error) { say(String(error)); });
  }

  function faultBodies(kind) {
    var fault;
    if (kind === "slow") fault = { delay: 3, times: null };
    else if (kind === "http500") fault = { http_status: 500, times: null };
    else if (kind === "hang") fault = { delay: config.timeout + 2, times: null };
    else if (kind === "60020") {
      fault = {
        errcode: 60020, times: null,
        errmsg: "not allow to access from your ip, hint: [emulator], from ip: 203.0.113.7",
      };
    } else fault = { errcode: parseInt(kind, 10), times: null };
    return CUSTOMER_APIS.map(function (path) {
      return Object.assign({ path: path }, fault);
    });
  }

  document.getElementById("controls").addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var done;
    var juziPage = null;
    if (button.dataset.app === "sign-out" && juziMode()) {
      juziPage = juzi.signin;
      done = Promise.resolve();
    } else if (button.dataset.restore) {
      // Everything back: no faults at either stand-in, and the app forgets the tickets
      // WeCom dropped, so the next signature is made with fresh ones and works.
      done = post(config.standin.replace("ACTION", "faults/clear"))
        .then(function () { return juzi ? juziApi("faults/clear") : null; })
        .then(function () { return post(config.app["reset-credentials"]); });
    } else if (button.dataset.standin) {
      done = post(config.standin.replace("ACTION", button.dataset.standin));
    } else if (button.dataset.app) {
      done = post(config.app[button.dataset.app]);
    } else if (button.dataset.juzi === "helper-fault") {
      done = juziApi("helper-faults", { call: document.getElementById("juzi-helper-fault").value, times: 1 });
    } else if (button.dataset.juzi === "code-fault") {
      // Refused twice: the fresh code the page asks for after the first refusal fails too.
      var errcode = parseInt(document.getElementById("juzi-code-fault").value, 10);
      done = juziApi("faults", { errcode: errcode, times: errcode === -5 ? 1 : 2 });
      juziPage = juzi.signin;
    } else if (button.dataset.fault) {
      var kind = button.dataset.fault === "slow" ? "slow" : document.getElementById("fault-kind").value;
      // A profile the app cached a minute ago would hide the fault: forget it first.
      done = post(config.app["forget-lookups"]).then(function () {
        return Promise.all(faultBodies(kind).map(function (body) {
          return post(config.standin.replace("ACTION", "faults"), body);
        }));
      });
    }
    if (!done) return;
    done
      .then(function () {
        say(button.textContent + " ✓");
        reopen(juziPage);
      })
      .catch(function (error) { say(button.textContent + ": " + error.message); })
      .then(refreshState);
  });

  // A change "in WeCom itself": the stand-in posts its event to the app's callback.
  document.getElementById("controls").addEventListener("click", function (event) {
    var button = event.target.closest("[data-wecom]");
    if (!button) return;
    var body = {
      action: button.dataset.wecom,
      chat: chatSelect.value,
      remark: document.getElementById("wecom-remark").value,
      name: document.getElementById("wecom-group-name").value,
    };
    post(config.app["wecom-change"], body)
      .then(function () { say(button.textContent + " ✓"); })
      .catch(function (error) { say(button.textContent + ": " + error.message); });
  });

  hostSelect.addEventListener("change", function () {
    showHost();
    save();
    reopen();
  });
  accountSelect.addEventListener("change", function () {
    save();
    reopen();
  });
  entrySelect.addEventListener("change", function () {
    fillChats();
    save();
    switchChat();
  });
  chatSelect.addEventListener("change", function () {
    save();
    switchChat();
  });
  [versionSelect, platformSelect].forEach(function (select) {
    select.addEventListener("change", function () {
      save();
      reopen();
    });
  });
  frame.addEventListener("load", refreshState);

  if (saved.host && juzi) hostSelect.value = saved.host;
  if (saved.entry) entrySelect.value = saved.entry;
  if (saved.version) versionSelect.value = saved.version;
  if (saved.platform) platformSelect.value = saved.platform;
  var accountsLoaded = fillAccounts();
  Promise.all([refreshState(), accountsLoaded]).then(function () {
    fillChats();
    showHost();
    save();
    reopen();
  });
  setInterval(refreshState, 3000);
  setInterval(sendReminders, 15000);
})();
