// The hospital's order form: add and remove lines (the server reads every quantity.N posted).
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form) return;
  var body = form.querySelector("#order-lines tbody");
  var next = body.querySelectorAll("tr.order-line").length;
  function renumber(row, index) {
    row.querySelectorAll("[id], [name], [for]").forEach(function (el) {
      ["id", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) el.setAttribute(attr, v.replace(/-\d+$/, "-" + index));
      });
      var n = el.getAttribute("name");
      if (n) el.setAttribute("name", n.replace(/\.\d+$/, "." + index));
    });
  }
  document.getElementById("add-line").addEventListener("click", function () {
    var rows = body.querySelectorAll("tr.order-line");
    if (rows.length >= 20) return;
    var row = rows[rows.length - 1].cloneNode(true);
    renumber(row, next++);
    row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
    row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    body.appendChild(row);
    row.querySelector("select").focus();
  });
  body.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-line")) return;
    var rows = body.querySelectorAll("tr.order-line");
    var row = event.target.closest("tr");
    if (rows.length > 1) {
      row.remove();
      document.getElementById("add-line").focus();
    } else {
      row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    }
  });
})();
