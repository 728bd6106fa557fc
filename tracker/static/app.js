// A picker for long lists (organisations, people, exchanges): type to filter, choose with
// Enter or a click; chosen ones of a multiple choice show as chips that a button removes.
// ARIA 1.2 combobox with a listbox popup; a live region says what happened. The <select>
// stays in the form (hidden) and carries the values, so without this file it is a plain
// select. Progressive enhancement only: served by the app, no build step.
(function () {
  "use strict";

  var counter = 0;
  var words = {
    de: { remove: "entfernen", chosen: "gewählt", removed: "entfernt", results: "Treffer",
          none: "Keine Treffer", help: "Tippen Sie zum Filtern; Pfeiltasten und Eingabe wählen." },
    en: { remove: "remove", chosen: "chosen", removed: "removed", results: "results",
          none: "No matches", help: "Type to filter; arrow keys and Enter choose." }
  };
  function t(key) {
    var lang = (document.documentElement.lang || "de").slice(0, 2);
    return (words[lang] || words.en)[key];
  }
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function Picker(select) {
    var self = this;
    this.select = select;
    this.multiple = select.multiple;
    this.id = "picker-" + (++counter);
    var wrap = document.createElement("div");
    wrap.className = "picker" + (this.multiple ? " picker-multi" : " picker-single");
    this.chips = document.createElement("ul");
    this.chips.className = "chips plain";
    this.input = document.createElement("input");
    this.input.type = "text";
    this.input.id = select.id + "-picker";
    this.input.autocomplete = "off";
    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.setAttribute("aria-controls", this.id + "-list");
    var described = [this.id + "-help"];
    if (select.getAttribute("aria-describedby")) {
      described.unshift(select.getAttribute("aria-describedby"));
    }
    this.input.setAttribute("aria-describedby", described.join(" "));
    ["aria-invalid", "aria-required"].forEach(function (name) {
      if (select.hasAttribute(name)) { self.input.setAttribute(name, select.getAttribute(name)); }
    });
    this.list = document.createElement("ul");
    this.list.id = this.id + "-list";
    this.list.className = "picker-list plain";
    this.list.setAttribute("role", "listbox");
    if (this.multiple) { this.list.setAttribute("aria-multiselectable", "true"); }
    this.list.hidden = true;
    var help = document.createElement("span");
    help.id = this.id + "-help";
    help.className = "visually-hidden";
    help.textContent = t("help");
    this.status = document.createElement("span");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    var label = document.querySelector("label[for='" + select.id + "']");
    if (label) {
      label.htmlFor = this.input.id;
      this.list.setAttribute("aria-label", label.textContent.replace(/\(.*\)/, "").trim());
    }
    wrap.appendChild(this.chips);
    wrap.appendChild(this.input);
    wrap.appendChild(this.list);
    wrap.appendChild(help);
    wrap.appendChild(this.status);
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.after(wrap);
    this.active = -1;
    this.shown = [];
    this.render();
    this.input.addEventListener("input", function () { self.open(); });
    this.input.addEventListener("focus", function () {
      if (!self.multiple) { self.input.select(); }
    });
    this.input.addEventListener("click", function () { self.open(); });
    this.input.addEventListener("keydown", function (e) { self.key(e); });
    this.input.addEventListener("blur", function () {
      window.setTimeout(function () { self.close(); self.settle(); }, 150);
    });
    select.addEventListener("picker:refresh", function () { self.render(); });
    select.picker = this;
  }

  // "" and "None" are the "— nobody —" choices: an emptied field stands for them.
  function isNone(o) { return o.value === "" || o.value === "None"; }

  Picker.prototype.options = function () {
    return Array.prototype.filter.call(this.select.options, function (o) { return !isNone(o); });
  };

  Picker.prototype.render = function () {
    var self = this;
    if (this.multiple) {
      this.chips.replaceChildren();
      this.options().forEach(function (o) {
        if (!o.selected) { return; }
        var li = document.createElement("li");
        li.className = "chip";
        var name = document.createElement("span");
        name.textContent = o.textContent;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "chip-remove";
        button.setAttribute("aria-label", o.textContent + " " + t("remove"));
        button.textContent = "×";
        button.addEventListener("click", function () {
          o.selected = false;
          self.render();
          self.say(o.textContent + " " + t("removed"));
          self.input.focus();
        });
        li.appendChild(name);
        li.appendChild(button);
        self.chips.appendChild(li);
      });
    } else {
      var chosen = this.select.options[this.select.selectedIndex];
      this.input.value = chosen && !isNone(chosen) ? chosen.textContent : "";
    }
  };

  Picker.prototype.open = function () {
    var self = this;
    var query = fold(this.input.value.trim());
    if (!this.multiple) {
      var chosen = this.select.options[this.select.selectedIndex];
      if (chosen && chosen.textContent === this.input.value) { query = ""; }
    }
    // Names that begin with what was typed come first, then words that do, then the rest.
    function rank(o) {
      var text = fold(o.textContent);
      if (text.indexOf(query) === 0) { return 0; }
      return (" " + text).indexOf(" " + query) !== -1 ? 1 : 2;
    }
    this.shown = this.options().filter(function (o) {
      return !(self.multiple && o.selected) && fold(o.textContent).indexOf(query) !== -1;
    }).map(function (o, i) { return { o: o, r: rank(o), i: i }; })
      .sort(function (a, b) { return a.r - b.r || a.i - b.i; })
      .map(function (x) { return x.o; }).slice(0, 50);
    this.list.replaceChildren();
    this.shown.forEach(function (o, i) {
      var li = document.createElement("li");
      li.id = self.id + "-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(o.selected && !self.multiple));
      li.textContent = o.textContent;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("click", function () { self.choose(o); });
      self.list.appendChild(li);
    });
    if (!this.shown.length) {
      var empty = document.createElement("li");
      empty.className = "picker-empty";
      empty.textContent = t("none");
      this.list.appendChild(empty);
    }
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.move(query ? 0 : -1);
    this.say(this.shown.length ? this.shown.length + " " + t("results") : t("none"));
  };

  Picker.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Picker.prototype.isOpen = function () { return !this.list.hidden; };

  Picker.prototype.move = function (index) {
    var items = this.list.querySelectorAll("[role=option]");
    if (!items.length) { this.active = -1; return; }
    if (index < -1) { index = items.length - 1; }
    if (index >= items.length) { index = 0; }
    this.active = index;
    items.forEach(function (li, i) { li.classList.toggle("is-active", i === index); });
    if (index >= 0) {
      this.input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Picker.prototype.choose = function (option) {
    if (this.multiple) {
      option.selected = true;
      this.input.value = "";
    } else {
      this.select.value = option.value;
    }
    this.select.dispatchEvent(new Event("change", { bubbles: true }));
    this.render();
    this.close();
    this.say(option.textContent + " " + t("chosen"));
    this.input.focus();
  };

  // A single choice left with text that names nothing goes back to what is chosen; emptied,
  // it chooses nothing (where nothing is a choice).
  Picker.prototype.settle = function () {
    if (this.multiple || document.activeElement === this.input) { return; }
    if (this.input.value.trim() === "") {
      var none = Array.prototype.find.call(this.select.options, isNone);
      if (none) { this.select.value = none.value; this.select.dispatchEvent(new Event("change", { bubbles: true })); }
    }
    this.render();
  };

  Picker.prototype.key = function (e) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!this.isOpen()) { this.open(); }
      this.move(this.active + 1);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (this.isOpen()) { this.move(this.active - 1); }
    } else if (e.key === "Enter") {
      if (this.isOpen() && this.shown.length && (this.active >= 0 || this.input.value.trim())) {
        e.preventDefault();
        e.stopPropagation();
        this.choose(this.shown[Math.max(this.active, 0)]);
      } else if (this.isOpen()) {
        e.preventDefault();
        e.stopPropagation();
        this.close();
      }
    } else if (e.key === "Escape") {
      if (this.isOpen()) { e.preventDefault(); this.close(); this.render(); }
    } else if (e.key === "Backspace" && this.multiple && this.input.value === "") {
      var chosen = this.options().filter(function (o) { return o.selected; });
      if (chosen.length) {
        var last = chosen[chosen.length - 1];
        last.selected = false;
        this.render();
        this.say(last.textContent + " " + t("removed"));
      }
    } else if (e.key === "Tab") {
      this.close();
    }
  };

  Picker.prototype.say = function (text) {
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  };

  window.trackerPickers = function (root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(function (select) {
      if (!select.picker) { new Picker(select); }
    });
  };
}());
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

  // On the series form, the rule in words and its next dates follow the choices as they
  // change (the "Show the dates" button does the same without this file).
  function livePreview() {
    var box = document.getElementById("series-preview");
    if (!box || !window.fetch) { return; }
    var form = box.closest("form");
    var timer = null;
    function refresh() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (key !== "csrf_token" && typeof value === "string") { params.append(key, value); }
      });
      fetch(box.dataset.url + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) { box.innerHTML = html; })
        .catch(function () { /* the button still works */ });
    }
    form.addEventListener("change", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 150);
    });
  }

  // Add an organisation or a person from inside the exchange or task form, and select it.
  function addOption(target, id, label) {
    var select = document.querySelector("select[name='" + target + "']");
    if (select) {
      // Chosen beside what was chosen before (a multiple select keeps those too); a picker
      // on the select shows it as chosen.
      select.add(new Option(label, String(id), true, true));
      if (!select.multiple) { select.value = String(id); }
      select.dispatchEvent(new Event("picker:refresh"));
      select.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    var list = document.querySelector("ul#" + target);
    if (!list) { return; }
    var item = document.createElement("li");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = target;
    box.value = String(id);
    box.id = target + "-new-" + id;
    box.checked = true;
    var text = document.createElement("label");
    text.htmlFor = box.id;
    text.textContent = label;
    item.append(box, " ", text);
    list.append(item);
  }

  function inlineNew(holder) {
    if (!window.fetch) { return; }
    var form = holder.closest("form");
    var token = form && form.querySelector("input[name='csrf_token']");
    if (!token) { return; }
    holder.hidden = false;
    var fallback = holder.nextElementSibling;
    if (fallback && fallback.classList.contains("inline-fallback")) { fallback.hidden = true; }
    var status = holder.querySelector(".inline-status");
    var button = holder.querySelector(".js-inline-add");
    var inputs = holder.querySelectorAll("[data-name]");
    function send() {
      var data = new FormData();
      data.append(holder.dataset.prefix + "-csrf_token", token.value);
      data.append("csrf_token", token.value);
      inputs.forEach(function (input) {
        data.append(holder.dataset.prefix + "-" + input.dataset.name, input.value);
      });
      button.disabled = true;
      fetch(holder.dataset.inlineUrl, {
        method: "POST",
        body: data,
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json();
      }).then(function (answer) {
        if (answer.ok) {
          addOption(holder.dataset.target, answer.id, answer.label);
          status.textContent = holder.dataset.added.replace("{name}", answer.label);
          inputs.forEach(function (input) { if (input.tagName === "INPUT") { input.value = ""; } });
        } else {
          var all = [].concat(answer.messages || []);
          Object.keys(answer.errors || {}).forEach(function (name) {
            all = all.concat(answer.errors[name]);
          });
          status.textContent = all.join(" ") || holder.dataset.failed;
        }
      }).catch(function () {
        status.textContent = holder.dataset.failed;
      }).then(function () {
        button.disabled = false;
      });
    }
    button.addEventListener("click", send);
    inputs.forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); send(); }
      });
    });
  }

  // "Copy link" buttons (partner links): copy the named field's value; without the
  // clipboard the field is selected, for Ctrl+C.
  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        if (!field) { return; }
        field.select();
        if (navigator.clipboard) {
          navigator.clipboard.writeText(field.value).then(function () {
            announce(button.dataset.copied || button.textContent + " ✓");
          });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.js-status").forEach(enhance);
    document.querySelectorAll(".inline-new").forEach(inlineNew);
    toggleWhen();
    livePreview();
    // The agenda's "Print" button needs script; without it the browser's own print works.
    document.querySelectorAll("button.js-print").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    copyButtons();
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
    var select = row.querySelector("select[name$='due_exchange_id']");
    if (!link || !select) { return; }
    var form = row.closest("form");
    var url = link.dataset.quickUrl;
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
      fetch(url, {
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
        form.querySelectorAll("select[name$='due_exchange_id']").forEach(function (s) {
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
      if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        e.stopPropagation();
        create();
      }
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

  // The subscription form shows only the fields of the chosen kind.
  function subscriptionKinds() {
    var form = document.querySelector("form[data-subscription]");
    if (!form) { return; }
    function apply() {
      var chosen = form.querySelector("input[name=kind]:checked");
      form.querySelectorAll("fieldset[data-kind]").forEach(function (box) {
        box.hidden = !chosen || box.dataset.kind !== chosen.value;
      });
    }
    form.addEventListener("change", function (e) { if (e.target.name === "kind") { apply(); } });
    apply();
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
    document.querySelectorAll("[data-quick-exchange]").forEach(quickExchange);
    statusByDate();
    narrowOutcomes();
    copyButtons();
    subscriptionKinds();
    bulkBar();
    focusFirstError();
    focusRecord();
  });
  // The browser scrolls to #record once the page has loaded, and that may take the focus.
  window.addEventListener("load", focusRecord);

  // Right after an exchange is created or an outcome saved: ready to type the next outcome.
  function focusRecord() {
    if (location.hash !== "#record" || document.querySelector("[data-error-summary]")) { return; }
    var text = document.querySelector("#record textarea");
    if (text && document.activeElement !== text) { text.focus(); }
  }
}());
