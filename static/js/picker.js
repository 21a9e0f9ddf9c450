/* The people picker of a spot check: search by name or employee number, filter by post and team,
 * select every row shown. Without this file the list is a plain list of checkboxes. */
(function () {
  "use strict";
  var form = document.getElementById("people-picker");
  if (!form) return;
  var filters = form.querySelector(".picker-filters");
  var rows = Array.prototype.slice.call(form.querySelectorAll("tbody tr[data-search]"));
  var search = form.querySelector("#picker-q");
  var post = form.querySelector("#picker-post");
  var team = form.querySelector("#picker-team");
  var shownCount = form.querySelector("[data-count=shown]");
  var pickedCount = form.querySelector("[data-count=picked]");
  filters.hidden = false;

  function box(row) { return row.querySelector("input[type=checkbox]"); }

  function count() {
    pickedCount.textContent = rows.filter(function (r) { return box(r).checked; }).length;
  }

  function apply() {
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.dataset.search.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; }) &&
        (!post.value || row.dataset.post === post.value) &&
        (!team.value || row.dataset.team === team.value);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    shownCount.textContent = shown;
  }

  search.addEventListener("input", apply);
  post.addEventListener("change", apply);
  team.addEventListener("change", apply);
  form.addEventListener("change", function (event) {
    if (event.target.name === "people") count();
  });
  // Enter in the search box filters; it must not post the form.
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
  filters.addEventListener("click", function (event) {
    var action = event.target.dataset.action;
    if (!action) return;
    rows.forEach(function (row) {
      if (action === "clear") box(row).checked = false;
      else if (action === "select-shown" && !row.hidden) box(row).checked = true;
    });
    count();
  });
  apply();
  count();
})();
