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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.js-status").forEach(enhance);
    toggleWhen();
    livePreview();
    // The agenda's "Print" button needs script; without it the browser's own print works.
    document.querySelectorAll("button.js-print").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    // On a phone, unused filters start folded away so the tasks come first.
    if (window.matchMedia("(max-width: 40rem)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
        d.open = false;
      });
    }
  });
}());
