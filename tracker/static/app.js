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
      select.add(new Option(label, String(id), true, true));
      select.value = String(id);
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
}());
