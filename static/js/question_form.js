// Question form: a true/false question is answered with the 正确/错误 choice, the others with the
// option rows. Show only the part that applies (the server ignores the other part anyway).
(function () {
  "use strict";
  function setup() {
    var form = document.getElementById("question-form");
    if (!form) return;
    var type = form.querySelector("select[name=type]");
    var rows = form.querySelector(".options-rows");
    var answer = form.querySelector("input[name=true_false_answer]");
    var answerField = answer ? answer.closest(".field") : null;
    if (!type || !rows) return;
    function apply() {
      var trueFalse = type.value === "true_false";
      rows.hidden = trueFalse;
      if (answerField) answerField.hidden = !trueFalse;
    }
    type.addEventListener("change", apply);
    apply();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
