/* Rasad, analyst pages: confirmation of irreversible actions, and the progress of a
   background computation, polled once a second from its JSON endpoint. No library. */
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  var box = document.getElementById("job");
  if (!box || !box.dataset.statusUrl) return;
  var bar = box.querySelector(".progress");
  var fill = box.querySelector(".progress .fill");
  var percent = document.getElementById("job-percent");
  var stage = document.getElementById("job-stage");
  var counts = document.getElementById("job-counts");
  var status = document.getElementById("job-status");
  var errorBox = document.getElementById("job-error");
  var doneBox = document.getElementById("job-done");

  function show(state) {
    fill.style.width = state.percent + "%";
    bar.setAttribute("aria-valuenow", String(state.percent));
    percent.textContent = state.percent_text;
    stage.textContent = state.stage_label;
    counts.textContent = state.counts_text;
    status.textContent = state.status_label;
    status.className = "job-pill " + state.status;
    box.dataset.status = state.status;
    if (state.status === "failed") {
      errorBox.querySelector(".text").textContent = state.error;
      errorBox.hidden = false;
      stage.textContent = "";
    }
    if (state.status === "done") {
      doneBox.querySelector(".text").textContent = state.message;
      doneBox.hidden = false;
      stage.textContent = "";
    }
  }

  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected) return { stop: true };  // sent to the login page
        if (response.ok) return response.json();
        // 4xx: logged out or no longer allowed; stop. 5xx: try again.
        return response.status < 500 ? { stop: true } : null;
      })
      .then(function (state) {
        if (state && state.stop) return;
        if (state) show(state);
        if (!state || !state.finished) window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }

  if (box.dataset.status !== "done" && box.dataset.status !== "failed") window.setTimeout(poll, 1000);
})();
