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
    toggleWhen();
    copyButtons();
    // On a phone, unused filters start folded away so the tasks come first.
    if (window.matchMedia("(max-width: 40rem)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
        d.open = false;
      });
    }
  });
}());
