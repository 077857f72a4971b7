// A background job's page: asks the server for the job's state every second and reloads the page when the
// job has finished (the page then shows the download, the error, or goes on to the publication).
// Self-hosted, no inline script (CSP script-src 'self'); without JavaScript a <meta refresh> does the same.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !window.fetch) return;
  var label = document.getElementById("job-state");
  var url = box.getAttribute("data-status-url");
  var state = box.getAttribute("data-state");
  var delay = 1000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (data.finished) {
          window.location.reload();
          return;
        }
        if (data.state !== state) {
          window.location.reload(); // the steps and hints are drawn by the server
          return;
        }
        label.textContent = data.label;
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000); // server restarting or the session ended: back off
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
