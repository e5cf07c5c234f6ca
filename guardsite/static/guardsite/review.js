/* Review pages: keyboard shortcuts with a help overlay, row selection, the blur toggle, bulk
   "select all", and the dashboard charts. Plain JavaScript; every action it triggers is an
   ordinary link or form that works without it.

   Shortcuts are declared in the templates: an element with data-key="r" is clicked (links,
   buttons) or focused (fields) when "r" is pressed; data-key-label describes it in the help. */
(function () {
  "use strict";

  function isTyping(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function visible(element) {
    return element.offsetParent !== null || element.getClientRects().length > 0;
  }

  function shortcutFor(key) {
    return Array.from(document.querySelectorAll("[data-key]"))
      .find(function (element) { return element.dataset.key === key && visible(element); });
  }

  // --- Rows: j/k move through tables with data-row, Enter or o opens, s selects ---------------
  function rows() {
    return Array.from(document.querySelectorAll("tr[data-row]"));
  }

  function selectedRow() {
    return document.querySelector("tr[data-row].selected");
  }

  function moveRow(step) {
    var all = rows();
    if (!all.length) { return false; }
    var current = all.indexOf(selectedRow());
    var next = current === -1 ? 0 : Math.min(all.length - 1, Math.max(0, current + step));
    all.forEach(function (row) { row.classList.remove("selected"); });
    all[next].classList.add("selected");
    all[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openRow() {
    var row = selectedRow();
    if (row && row.dataset.href) { window.location.href = row.dataset.href; return true; }
    return false;
  }

  function toggleRowCheckbox() {
    var row = selectedRow();
    var box = row && row.querySelector("input[type=checkbox]");
    if (box) { box.checked = !box.checked; return true; }
    return false;
  }

  // --- Help overlay ----------------------------------------------------------------------------
  function helpDialog() {
    return document.getElementById("shortcut-help");
  }

  function fillHelp() {
    var list = document.getElementById("shortcut-list");
    if (!list || list.dataset.filled) { return; }
    list.dataset.filled = "1";
    var seen = {};
    if (rows().length) {
      addHelpRow(list, "Enter / o", "Open the selected row");
      if (document.querySelector("tr[data-row] input[type=checkbox]")) {
        addHelpRow(list, "s", "Select the row for a bulk action");
      }
    }
    document.querySelectorAll("[data-key]").forEach(function (element) {
      var key = element.dataset.key;
      if (seen[key] || !visible(element)) { return; }
      seen[key] = true;
      addHelpRow(list, key, element.dataset.keyLabel || element.textContent.trim());
    });
  }

  function addHelpRow(list, key, label) {
    var row = document.createElement("tr");
    var keyCell = document.createElement("th");
    var kbd = document.createElement("kbd");
    var labelCell = document.createElement("td");
    kbd.textContent = key;
    keyCell.appendChild(kbd);
    labelCell.textContent = label;
    row.append(keyCell, labelCell);
    list.appendChild(row);
  }

  function toggleHelp() {
    var dialog = helpDialog();
    if (!dialog) { return; }
    if (dialog.open) { dialog.close(); return; }
    fillHelp();
    dialog.showModal();
  }

  // --- Keys ------------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (isTyping(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var key = event.key;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (helpDialog() && helpDialog().open) { return; }
    var handled = false;
    if ((key === "j" || key === "k") && rows().length) {
      handled = moveRow(key === "j" ? 1 : -1);
    } else if ((key === "Enter" || key === "o") && selectedRow()) {
      handled = openRow();
    } else if (key === "s" && selectedRow()) {
      handled = toggleRowCheckbox();
    }
    if (!handled && key.length === 1) {
      var target = shortcutFor(key);
      if (target) {
        if (isTyping(target)) { target.focus(); } else { target.click(); }
        handled = true;
      }
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-help-toggle]")) { toggleHelp(); return; }
    if (target.closest("[data-blur-toggle]")) {
      var content = document.querySelector("[data-blurrable]");
      if (content) { content.classList.toggle("blurred"); }
      return;
    }
    var selectAll = target.closest("[data-select-all]");
    if (selectAll) {
      var form = selectAll.closest("form");
      form.querySelectorAll("input[name=items]").forEach(function (box) {
        box.checked = selectAll.checked;
      });
    }
  });

  // --- Dashboard charts (Chart.js, loaded deferred after this file) -------------------------------
  var PALETTE = ["#0b5cad", "#b42318", "#067647", "#b54708", "#6941c6", "#c11574", "#475467",
    "#0e9384", "#dc6803", "#344054"];

  // Severity bands keep their meaning in colour: low green, medium amber, high red.
  var BAND_COLOURS = { low: "#067647", medium: "#dc6803", high: "#b42318" };

  function colourOf(name, index) {
    return BAND_COLOURS[name.split(" ")[0]] || PALETTE[index % PALETTE.length];
  }

  function datasets(series, stacked) {
    return Object.keys(series).map(function (name, index) {
      return {
        label: name.replace(/_/g, " "),
        data: series[name],
        backgroundColor: colourOf(name, index),
        borderColor: colourOf(name, index),
        stack: stacked ? "all" : undefined
      };
    });
  }

  function single(label, series) {
    return {
      labels: Object.keys(series).map(function (name) { return name.replace(/_/g, " "); }),
      datasets: [{ label: label, data: Object.values(series), backgroundColor: PALETTE[0] }]
    };
  }

  function drawCharts() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var stackedScales = { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } };
    var plainScales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    var configs = {
      by_category: { type: "bar", data: { labels: data.days, datasets: datasets(data.by_category, true) }, options: { scales: stackedScales } },
      by_severity: { type: "bar", data: { labels: data.days, datasets: datasets(data.by_severity, true) }, options: { scales: stackedScales } },
      ageing: { type: "bar", data: single("pending items", data.ageing), options: { scales: plainScales, plugins: { legend: { display: false } } } },
      throughput: { type: "bar", data: single("decisions", data.throughput), options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } } }
    };
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var config = configs[canvas.dataset.chart];
      if (config) { canvas.chart = new window.Chart(canvas, config); }
    });
  }

  // --- Grant countdowns: "N min" left, refreshed while the page stays open -----------------------
  function updateCountdowns() {
    document.querySelectorAll("time[data-countdown]").forEach(function (element) {
      var left = Math.max(0, Math.floor((Date.parse(element.dateTime) - Date.now()) / 60000));
      element.textContent = left ? left + " min" : "ended";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    if (document.querySelector("time[data-countdown]")) {
      updateCountdowns();
      window.setInterval(updateCountdowns, 15000);
    }
  });
})();
