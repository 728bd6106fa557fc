// Progressive enhancement only: every form works without this file.
// Check-off and reopen are sent with fetch() and the task's row is replaced by the
// server's fresh copy, so the page does not reload; on any failure the form is
// submitted the ordinary way.
(function () {
  "use strict";

  function announce(text) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-success";
    p.textContent = text;
    box.replaceChildren(p);
  }

  function enhance(form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || form.dataset.plain === "1") { return; }
      event.preventDefault();
      var row = form.closest(".task");
      if (row) { row.classList.add("is-busy"); }
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        var holder = document.createElement("ul");
        holder.innerHTML = data.html;
        var fresh = holder.firstElementChild;
        if (row && fresh) {
          row.replaceWith(fresh);
          fresh.querySelectorAll("form.js-status").forEach(enhance);
          var button = fresh.querySelector("form.js-status button");
          if (button) { button.focus(); }
        }
        announce(data.message);
      }).catch(function () {
        form.dataset.plain = "1";
        form.submit();
      });
    });
  }

  // On the exchange form, show either the timed or the all-day fields.
  function toggleWhen() {
    var box = document.getElementById("all_day");
    if (!box) { return; }
    function apply() {
      document.querySelectorAll(".when-timed").forEach(function (el) { el.hidden = box.checked; });
      document.querySelectorAll(".when-all-day").forEach(function (el) { el.hidden = !box.checked; });
    }
    box.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.js-status").forEach(enhance);
    toggleWhen();
    // On a phone, unused filters start folded away so the tasks come first.
    if (window.matchMedia("(max-width: 40rem)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
        d.open = false;
      });
    }
  });
  // --- forms ------------------------------------------------------------------------------

  // A form sent back with mistakes: the focus goes to the first field to correct (its
  // message is tied to it), else to the list of mistakes, which is announced.
  function focusFirstError() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    var form = summary.closest("form") || document;
    var field = form.querySelector("[aria-invalid=true]");
    if (field && field.hidden && field.picker) { field = field.picker.input; }
    if (field && field.offsetParent !== null) {
      field.focus();
    } else {
      summary.tabIndex = -1;
      summary.focus();
    }
  }

  // The exchange form: a date in the past makes "held" the status, until one is chosen.
  function statusByDate() {
    var status = document.getElementById("status");
    if (!status || status.value !== "") { return; }
    var touched = false;
    status.addEventListener("change", function () { touched = true; });
    ["starts_at", "start_date"].forEach(function (id) {
      var input = document.getElementById(id);
      if (!input) { return; }
      input.addEventListener("change", function () {
        if (touched || !input.value) { return; }
        var day = input.value.slice(0, 10);
        var today = new Date().toISOString().slice(0, 10);
        status.value = day < today ? "held" : "planned";
      });
    });
  }

  // The outcome form's task rows: Enter in a row goes to the next row, adding one at the end.
  function captureRows(form) {
    var box = form.querySelector(".task-rows");
    if (!box) { return; }
    var rows = box.querySelectorAll(".task-row");
    var blank = rows[rows.length - 1].cloneNode(true);
    blank.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    blank.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    blank.classList.remove("has-error");
    blank.querySelectorAll("input, select").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
    });
    var template = blank.outerHTML;
    var last = Number(rows[rows.length - 1].dataset.row);

    function addRow() {
      last += 1;
      var html = template.replace(/tasks-\d+-/g, "tasks-" + last + "-")
        .replace(/data-row="\d+"/, 'data-row="' + last + '"')
        .replace(/aria-label="([^"]*?)\d+"/, 'aria-label="$1' + (last + 1) + '"');
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      box.appendChild(row);
      window.trackerPickers(row);
      quickExchange(row);
      return row;
    }

    box.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.ctrlKey || e.metaKey || e.defaultPrevented) { return; }
      var row = e.target.closest(".task-row");
      if (!row || e.target.tagName === "BUTTON" || e.target.tagName === "TEXTAREA") { return; }
      if (e.target.closest(".quick-exchange")) { return; }
      e.preventDefault();
      var next = row.nextElementSibling;
      while (next && !next.classList.contains("task-row")) { next = next.nextElementSibling; }
      if (!next) { next = addRow(); }
      next.querySelector("input[name$='-title']").focus();
    });
    form.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    });
  }

  // "New exchange" beside "or due at an exchange": title and date, made on the spot.
  function quickExchange(row) {
    var link = row.querySelector(".quick-exchange-link");
    var select = row.querySelector("select[name$='-due_exchange_id']");
    if (!link || !select) { return; }
    var form = row.closest("form");
    var lang = (document.documentElement.lang || "de").slice(0, 2);
    var de = lang === "de";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button quick-exchange-open";
    button.textContent = link.textContent;
    button.setAttribute("aria-expanded", "false");
    link.replaceWith(button);
    var panel = document.createElement("div");
    panel.className = "quick-exchange";
    panel.hidden = true;
    var base = select.id + "-new";
    panel.innerHTML =
      '<div class="field"><label for="' + base + '-title"></label><input type="text" id="' + base + '-title" aria-required="true"></div>' +
      '<div class="field"><label for="' + base + '-date"></label><input type="date" id="' + base + '-date" aria-required="true"></div>' +
      '<p class="error" role="alert"></p>' +
      '<p><button type="button" class="create"></button> <button type="button" class="cancel link-button"></button></p>';
    panel.querySelector("label[for$='-title']").textContent = de ? "Titel des neuen Austauschs" : "Title of the new exchange";
    panel.querySelector("label[for$='-date']").textContent = de ? "Datum" : "Date";
    panel.querySelector(".create").textContent = de ? "Austausch anlegen" : "Create exchange";
    panel.querySelector(".cancel").textContent = de ? "Abbrechen" : "Cancel";
    button.after(panel);
    var title = panel.querySelector("input[type=text]");
    var day = panel.querySelector("input[type=date]");
    var error = panel.querySelector(".error");
    function toggle(open) {
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) { title.focus(); } else { button.focus(); }
    }
    button.addEventListener("click", function () { toggle(panel.hidden); });
    panel.querySelector(".cancel").addEventListener("click", function () { toggle(false); });
    function create() {
      var data = new FormData();
      data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
      data.append("title", title.value);
      data.append("start_date", day.value);
      fetch(form.dataset.quickUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (!answer.ok) {
          var texts = [];
          Object.keys(answer.body.errors || {}).forEach(function (k) { texts.push(answer.body.errors[k].join(" ")); });
          error.textContent = texts.join(" ") || "?";
          return;
        }
        form.querySelectorAll("select[name$='-due_exchange_id']").forEach(function (s) {
          var option = document.createElement("option");
          option.value = answer.body.id;
          option.textContent = answer.body.label;
          s.appendChild(option);
        });
        select.value = String(answer.body.id);
        select.dispatchEvent(new Event("picker:refresh"));
        title.value = ""; day.value = ""; error.textContent = "";
        panel.hidden = true;
        button.setAttribute("aria-expanded", "false");
        announce((de ? "Austausch angelegt: " : "Exchange created: ") + answer.body.label);
        (select.picker ? select.picker.input : select).focus();
      }).catch(function () { error.textContent = de ? "Das ging nicht; bitte noch einmal." : "That failed; please try again."; });
    }
    panel.querySelector(".create").addEventListener("click", create);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); create(); }
      if (e.key === "Escape") { toggle(false); }
    });
  }

  // The task form: only the chosen exchange's outcomes, kept in step as it changes.
  function narrowOutcomes() {
    var exchange = document.getElementById("exchange_id");
    var outcome = document.getElementById("outcome_id");
    var source = document.getElementById("all-outcomes");
    if (!exchange || !outcome || !source) { return; }
    var none = outcome.options[0];
    function apply() {
      var keep = outcome.value;
      outcome.replaceChildren(none);
      Array.prototype.forEach.call(source.options, function (o) {
        if (o.dataset.exchange === exchange.value) { outcome.appendChild(o.cloneNode(true)); }
      });
      outcome.value = keep;
      if (outcome.selectedIndex < 0) { outcome.value = none.value; }
    }
    exchange.addEventListener("change", apply);
  }

  // Copy a calendar link with one click.
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.dataset.copy);
        if (!input) { return; }
        input.select();
        var done = function () { announce(button.dataset.copied || "OK"); };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        } else { document.execCommand("copy"); done(); }
      });
    });
  }

  // Bulk check-off: the bar stays in view while something is selected.
  function bulkBar() {
    var form = document.getElementById("bulk-form");
    if (!form) { return; }
    function apply() {
      var n = document.querySelectorAll("input[form=bulk-form]:checked").length;
      form.classList.toggle("is-active", n > 0);
    }
    document.addEventListener("change", function (e) {
      if (e.target.matches("input[form=bulk-form]")) { apply(); }
    });
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-capture]").forEach(captureRows);
    if (window.trackerPickers) { window.trackerPickers(document); }
    document.querySelectorAll("form[data-capture] .task-row").forEach(quickExchange);
    statusByDate();
    narrowOutcomes();
    copyButtons();
    bulkBar();
    focusFirstError();
    if (location.hash === "#record" && !document.querySelector("[data-error-summary]")) {
      var text = document.querySelector("#record textarea");
      if (text) { text.focus(); }
    }
  });
}());
