// Topic editor: placeholder buttons insert {{ key }} at the cursor; only the
// buttons that suit the chosen kind show.  A file, not inline, for the CSP.
(function () {
  var form = document.getElementById("topic-form");
  if (!form) return;
  var body = document.getElementById("id_body");
  var kind = form.querySelector("[name=kind]");
  function showKind() {
    form.querySelectorAll("button.ph").forEach(function (b) { b.hidden = b.dataset.kind !== kind.value; });
  }
  kind.addEventListener("change", showKind);
  showKind();
  form.querySelectorAll("button.ph").forEach(function (b) {
    b.addEventListener("click", function () {
      var text = "{{ " + b.dataset.key + " }}";
      var at = body.selectionStart || body.value.length;
      body.value = body.value.slice(0, at) + text + body.value.slice(body.selectionEnd || at);
      body.focus();
      body.selectionStart = body.selectionEnd = at + text.length;
      body.dispatchEvent(new Event("input", {bubbles: true}));
    });
  });
  form.dataset.ready = "1";  // browser tests wait for this before clicking
})();
