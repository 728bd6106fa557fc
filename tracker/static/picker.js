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

  Picker.prototype.options = function () {
    return Array.prototype.filter.call(this.select.options, function (o) {
      return o.value !== "";
    });
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
      this.input.value = chosen && chosen.value !== "" ? chosen.textContent : "";
    }
  };

  Picker.prototype.open = function () {
    var self = this;
    var query = fold(this.input.value.trim());
    if (!this.multiple) {
      var chosen = this.select.options[this.select.selectedIndex];
      if (chosen && chosen.textContent === this.input.value) { query = ""; }
    }
    this.shown = this.options().filter(function (o) {
      return !(self.multiple && o.selected) && fold(o.textContent).indexOf(query) !== -1;
    }).slice(0, 50);
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
      var none = Array.prototype.find.call(this.select.options, function (o) { return o.value === ""; });
      if (none) { this.select.value = ""; this.select.dispatchEvent(new Event("change", { bubbles: true })); }
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
