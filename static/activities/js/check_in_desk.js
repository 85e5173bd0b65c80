// The check-in desk's camera (签到台): frames of the rear camera are drawn into a canvas and
// decoded with jsQR (static/vendor/jsqr); the first QR code read is put into the code field
// and the form is submitted, so the resident is checked in at once. The camera is switched
// on again after the page reloads with the result, ready for the next resident; the same
// code is not submitted twice in a row.
(function () {
  "use strict";
  var start = document.getElementById("desk-camera-start");
  var stop = document.getElementById("desk-camera-stop");
  var video = document.getElementById("desk-video");
  var canvas = document.getElementById("desk-canvas");
  var status = document.getElementById("desk-camera-status");
  var form = document.getElementById("check-in-form");
  if (!start || !video || !canvas || !form) return;
  var input = form.querySelector("input[name=code]");
  var KEY_ON = "checkInDeskCamera";
  var KEY_LAST = "checkInDeskLastScan";
  var stream = null;
  var context = canvas.getContext("2d", { willReadFrequently: true });

  function say(which) { status.textContent = status.dataset[which] || ""; }

  function remember(key, value) {
    try { if (value === null) sessionStorage.removeItem(key); else sessionStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }
  function recall(key) {
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function stopCamera(forget) {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
    if (forget) { remember(KEY_ON, null); remember(KEY_LAST, null); status.textContent = ""; }
  }

  function tick() {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA && typeof window.jsQR === "function") {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data && found.data !== recall(KEY_LAST)) {
        remember(KEY_LAST, found.data);
        say("found");
        input.value = found.data;
        stopCamera(false);
        form.submit();
        return;
      }
    }
    window.requestAnimationFrame(tick);
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("unsupported"); return; }
    say("starting");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        remember(KEY_ON, "1");
        video.srcObject = s;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        return video.play();
      })
      .then(function () { say("scanning"); window.requestAnimationFrame(tick); })
      .catch(function () { stopCamera(false); remember(KEY_ON, null); say("denied"); });
  }

  start.addEventListener("click", function () { remember(KEY_LAST, null); startCamera(); });
  stop.addEventListener("click", function () { stopCamera(true); });
  if (recall(KEY_ON) === "1") startCamera();
})();
