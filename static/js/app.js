/* auditreg: the few behaviours the pages need, served by the app (strict CSP: no inline script).
   Every page works without it; this only adds counters, the idle-timeout warning and the pickers. */
(function () {
  "use strict";

  // 1. Length counters under limited texts: "123 / 10,000 文字"; over the limit it says so (the save
  //    refuses with a message and keeps the text; nothing is ever cut).
  function counters() {
    document.querySelectorAll("[data-counter-for]").forEach(function (out) {
      var field = document.getElementById(out.getAttribute("data-counter-for"));
      var max = parseInt(out.getAttribute("data-max"), 10);
      if (!field || !max) return;
      var update = function () {
        var n = Array.from(field.value).length;
        var over = n - max;
        out.textContent = n.toLocaleString("ja-JP") + " / " + max.toLocaleString("ja-JP") + " 文字" +
          (over > 0 ? "（" + over.toLocaleString("ja-JP") + " 文字多すぎます。保存の前に短くしてください）" : "");
        out.classList.toggle("over", over > 0);
      };
      field.addEventListener("input", update);
      update();
    });
  }

  // 2. Idle timeout: a dialog two minutes before the server ends the session; 延長する keeps it.
  function idleWarning() {
    var idle = parseInt(document.body.getAttribute("data-idle-seconds"), 10);
    var dialog = document.getElementById("idle-warning");
    if (!idle || !dialog || typeof dialog.showModal !== "function") return;
    var lead = Math.min(120, Math.floor(idle / 2));
    var left = dialog.querySelector("[data-idle-left]");
    var text = document.getElementById("idle-warning-text");
    var form = document.getElementById("idle-extend");
    var deadline, warnTimer, tick;
    function schedule() {
      deadline = Date.now() + idle * 1000;
      clearTimeout(warnTimer);
      clearInterval(tick);
      warnTimer = setTimeout(warn, (idle - lead) * 1000);
    }
    function show() {
      var s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (s === 0) {
        clearInterval(tick);
        text.textContent = "ログアウトしました。入力中の内容は、保存するとログインの後に元の画面のフォームへ戻ります。";
        form.hidden = true;
        return;
      }
      left.textContent = s >= 60 ? Math.floor(s / 60) + "分" + (s % 60) + "秒" : s + "秒";
    }
    function warn() {
      form.hidden = false;
      if (!dialog.open) dialog.showModal();
      show();
      tick = setInterval(show, 1000);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          idle = data.idle_seconds || idle;
          dialog.close();
          schedule();
        })
        .catch(function () {
          text.textContent = "延長できませんでした（ログアウト済みの可能性があります）。入力中の内容は保存すると、ログインの後に戻ります。";
        });
    });
    schedule();
  }

  // 3. Pickers, checkbox lists in a fieldset[data-picker]: the section picker (boxes data-section in a
  // fieldset[data-bureau] per 局) and auditreg.widgets.checkbox_picker (data-pick, fieldset[data-group]).
  // A search box filters the rows (by their text or their group's name); a box in a group's legend
  // selects all of that group (those the search shows).
  var BOX = "input[type=checkbox][data-section], input[type=checkbox][data-pick]";
  var GROUP = "fieldset[data-bureau], fieldset[data-group]";
  var ROW = "[data-section-row], [data-pick-row]";
  var SHOWN_ROW = "[data-section-row]:not([hidden]), [data-pick-row]:not([hidden])";
  function fold(text) { return (text || "").normalize("NFKC").toLowerCase(); }
  function pickers() {
    document.querySelectorAll("[data-picker]").forEach(function (picker) {
      var search = picker.querySelector("[data-picker-search]");
      var status = picker.querySelector("[data-picker-count]");
      var unit = (status && status.getAttribute("data-unit")) || "課";
      var boxes = Array.from(picker.querySelectorAll(BOX));
      function count() {
        if (status) status.textContent = boxes.filter(function (b) { return b.checked; }).length + " " + unit + "を選択中";
      }
      picker.querySelectorAll(GROUP).forEach(function (group) {
        var all = group.querySelector("input[data-select-all]");
        var mine = Array.from(group.querySelectorAll(BOX));
        if (!all) return;
        var sync = function () {
          var n = mine.filter(function (b) { return b.checked; }).length;
          all.checked = n === mine.length && n > 0;
          all.indeterminate = n > 0 && n < mine.length;
        };
        all.addEventListener("change", function () {
          mine.forEach(function (b) { if (!b.closest("[hidden]")) b.checked = all.checked; });
          sync();
          count();
        });
        mine.forEach(function (b) { b.addEventListener("change", function () { sync(); count(); }); });
        sync();
      });
      boxes.forEach(function (b) { if (!b.closest(GROUP)) b.addEventListener("change", count); });
      if (search) {
        search.addEventListener("input", function () {
          var q = fold(search.value.trim());
          picker.querySelectorAll(ROW).forEach(function (row) {
            var group = row.closest(GROUP);
            var name = group ? fold(group.getAttribute("data-bureau") || group.getAttribute("data-group")) : "";
            row.hidden = !(!q || name.indexOf(q) >= 0 || fold(row.textContent).indexOf(q) >= 0);
          });
          picker.querySelectorAll(GROUP).forEach(function (group) {
            group.hidden = !group.querySelector(SHOWN_ROW);
          });
        });
      }
      count();
    });
  }

  // 3b. A table's "select all" checkbox (data-check-all) checks every item box of its table.
  function checkAll() {
    document.querySelectorAll("input[data-check-all]").forEach(function (all) {
      var table = all.closest("table");
      all.addEventListener("change", function () {
        table.querySelectorAll("tbody input[type=checkbox]").forEach(function (b) { b.checked = all.checked; });
      });
    });
  }

  // 3c. On a phone (the stylesheet's 700 px break), a list table becomes one card per row: each cell
  // gets its column's heading (data-label, shown before it by the stylesheet) and the table the ARIA
  // roles that display:block would take away. Tables with a data-label of their own in the template
  // keep it; number grids (table.compact) and tables with a two-row heading stay tables and scroll.
  function stackTables() {
    document.querySelectorAll("table.list:not(.compact)").forEach(function (table) {
      var head = table.tHead;
      if (!head || head.rows.length !== 1) return;
      var headings = Array.prototype.slice.call(head.rows[0].cells);
      if (headings.some(function (c) { return c.colSpan > 1; })) return;
      var labels = headings.map(function (c) { return c.textContent.replace(/\s+/g, " ").trim(); });
      table.setAttribute("role", "table");
      head.setAttribute("role", "rowgroup");
      headings.forEach(function (c) { c.setAttribute("role", "columnheader"); });
      head.rows[0].setAttribute("role", "row");
      Array.prototype.forEach.call(table.tBodies, function (body) {
        body.setAttribute("role", "rowgroup");
        Array.prototype.forEach.call(body.rows, function (row) {
          row.setAttribute("role", "row");
          Array.prototype.forEach.call(row.cells, function (cell, i) {
            cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
            if (cell.colSpan === 1 && labels[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", labels[i]);
          });
        });
      });
      table.classList.add("stack");
    });
  }

  // 4. A failed form: move to its error summary so the reader starts with what to fix.
  function errorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    counters();
    idleWarning();
    pickers();
    checkAll();
    stackTables();
    errorSummary();
  });
})();
