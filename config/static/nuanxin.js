// Small behaviours for every page (a file, not inline scripts, so the CSP can forbid those).
document.addEventListener("change", function (event) {
  var field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
