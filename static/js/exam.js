/* Taking an exam: every answer is saved through the API as it is chosen, with retries on a
 * dropped network; a countdown from the time the server says is left; submit when it reaches 0.
 * The page works without this file too (the submit button posts the form's answers). */
(function () {
  "use strict";
  var form = document.getElementById("exam");
  if (!form) return;
  var answerUrl = form.dataset.answerUrl;
  var msg = form.dataset;
  var closed = false;
  var submitting = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function stateOf(fieldset) {
    return fieldset.querySelector(".save-state");
  }

  function show(fieldset, text, kind) {
    var el = stateOf(fieldset);
    el.textContent = text;
    el.className = "save-state" + (kind ? " " + kind : "");
  }

  // One pending save per question: a newer choice replaces an older one still retrying.
  var generation = {};

  function save(fieldset, attempt) {
    var qid = fieldset.dataset.question;
    var mine = (generation[qid] = (generation[qid] || 0) + 1);
    var selected = Array.prototype.map.call(
      fieldset.querySelectorAll("input:checked"),
      function (input) { return input.value; }
    );
    if (fieldset.dataset.type !== "multiple" && selected.length !== 1) return;
    show(fieldset, msg.msgSaving, "saving");
    fetch(answerUrl + qid + "/", {
      method: "PUT",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify({ selected: selected }),
    })
      .then(function (response) {
        if (mine !== generation[qid]) return;
        if (response.ok) {
          show(fieldset, msg.msgSaved, "saved");
          return;
        }
        if (response.status === 409) {
          // Too late or already submitted: the server refused and stored nothing.
          return response.json().then(function (body) {
            show(fieldset, (body && body.detail) || msg.msgRejected, "rejected");
            timeUp();
          });
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          show(fieldset, msg.msgRejected, "rejected");
          return;
        }
        throw new Error("HTTP " + response.status);
      })
      .catch(function () {
        if (mine !== generation[qid] || closed) return;
        show(fieldset, msg.msgRetry, "retry");
        var wait = Math.min(1000 * Math.pow(2, attempt || 0), 10000);
        setTimeout(function () {
          if (mine === generation[qid] && !closed) {
            generation[qid] -= 1; // the retry takes this generation's place
            save(fieldset, (attempt || 0) + 1);
          }
        }, wait);
      });
  }

  // "Answered n / N", the question numbers, "next unanswered" and the submit warning follow
  // what is chosen on this page (the server rendered them as saved).
  function isAnswered(fieldset) {
    return fieldset.querySelector("input:checked") !== null;
  }

  function progress(after) {
    var fieldsets = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
    var open = fieldsets.filter(function (f) { return !isAnswered(f); });
    var answered = fieldsets.length - open.length;
    var count = document.getElementById("answered-count");
    if (count) count.textContent = answered;
    var left = document.getElementById("unanswered-count");
    if (left) left.textContent = open.length;
    var hidden = document.getElementById("confirm-unanswered");
    if (hidden) hidden.value = open.length;
    var warning = form.querySelector(".warn-unanswered");
    if (warning) warning.hidden = open.length === 0;
    Array.prototype.forEach.call(form.querySelectorAll(".qnav a"), function (link) {
      var f = document.getElementById("q-" + link.dataset.position);
      link.classList.toggle("done", !!f && isAnswered(f));
    });
    // The next unanswered question after the one just answered, else the first one left.
    var next = open.filter(function (f) { return +f.dataset.position > (after || 0); })[0] || open[0];
    var jump = document.getElementById("next-unanswered");
    if (jump) {
      jump.hidden = !next;
      jump.href = next ? "#" + next.id : "#submit-box";
    }
    var first = document.getElementById("first-unanswered");
    if (first && open[0]) first.href = "#" + open[0].id;
  }

  form.addEventListener("change", function (event) {
    if (closed) return;
    var fieldset = event.target.closest("fieldset.question");
    if (fieldset) {
      save(fieldset, 0);
      progress(+fieldset.dataset.position);
    }
  });

  function timeUp() {
    if (closed) return;
    closed = true;
    var bar = document.getElementById("countdown");
    if (bar) bar.textContent = "00:00";
    var box = form.querySelector(".submit-box");
    if (box) {
      box.open = true;
      var note = document.createElement("p");
      note.className = "save-state rejected";
      note.textContent = msg.msgTimeup;
      box.insertBefore(note, box.firstChild.nextSibling);
    }
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.question input"), function (input) {
      input.disabled = true; // late answers would be refused anyway; post only what was saved
    });
    // The server counted whole seconds down: wait until its deadline has surely passed, so the
    // attempt is recorded as submitted at the deadline.
    setTimeout(submit, 1500);
  }

  function submit() {
    if (submitting) return;
    submitting = true;
    form.submit();
  }

  // A session logged out after SESSION_IDLE_MINUTES without a request would end a long think
  // mid-exam: while time is left, the page reads its attempt every five minutes.
  if (form.dataset.keepaliveUrl) {
    setInterval(function () {
      if (closed) return;
      fetch(form.dataset.keepaliveUrl, {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
      }).catch(function () {});
    }, 5 * 60 * 1000);
  }

  form.addEventListener("submit", function () {
    submitting = true;
  });

  // The countdown runs from the seconds the server said were left, not from this phone's clock.
  var left = parseInt(form.dataset.timeLeft, 10) || 0;
  var end = Date.now() + left * 1000;
  var clock = document.getElementById("countdown");
  var timer = document.querySelector(".timer");

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var seconds = Math.max(0, Math.round((end - Date.now()) / 1000));
    clock.textContent = pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
    if (seconds <= 300 && timer) timer.classList.add("warn");
    if (seconds <= 0) {
      timeUp();
      return;
    }
    setTimeout(tick, 1000 - ((end - Date.now()) % 1000 + 1000) % 1000 || 1000);
  }
  tick();
})();
