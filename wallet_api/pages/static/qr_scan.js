// Reading QR codes, shared by the unit's verifier (verify.js) and the citizen's wallet
// (wallet_request.js): an uploaded photo or screenshot, or the camera's frames, decoded with the
// browser's BarcodeDetector when it has one, otherwise with the pinned jsQR (loaded on first use
// from /vendor/jsqr.js, a classic script, so a page that never scans does not fetch it).

import { el, t, toast } from "/static/common.js";

let jsQRLoading = null;

/** The pinned jsQR, loaded once. */
function jsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  jsQRLoading ??= new Promise((resolve, reject) => {
    const script = el("script", { src: "/vendor/jsqr.js" });
    script.addEventListener("load", () => resolve(window.jsQR));
    script.addEventListener("error", () => {
      jsQRLoading = null;
      reject(new Error("jsQR"));
    });
    document.head.append(script);
  });
  return jsQRLoading;
}

/** Decodes the QR code in an image: the browser's BarcodeDetector, else the pinned jsQR. */
export async function decodeImage(file) {
  const bitmap = await createImageBitmap(file);
  if ("BarcodeDetector" in window) {
    try {
      const found = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(bitmap);
      if (found.length) return found[0].rawValue;
    } catch {
      /* fall through to jsQR */
    }
  }
  const decode = await jsQR();
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = el("canvas", { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const code = decode(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" });
  return code ? code.data : null;
}

/**
 * Scans the camera's frames into `video` until a code is found (then `onCode(text)`), with
 * `button` saying how to stop. Returns the function that stops it, or null when the camera
 * cannot be opened (the citizen or clerk is told).
 */
export async function startCamera(video, button, onCode) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    toast(t("verify.camera.denied"));
    return null;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  button.textContent = t("verify.camera.stop");
  const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  const decode = detector ? null : await jsQR();
  const canvas = el("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.hidden = true;
    button.textContent = t("verify.camera.start");
  };
  const tick = async () => {
    if (!running) return;
    let text = null;
    if (video.readyState >= 2) {
      if (detector) {
        const found = await detector.detect(video).catch(() => []);
        text = found[0]?.rawValue ?? null;
      } else {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
        text = decode(pixels.data, pixels.width, pixels.height)?.data ?? null;
      }
    }
    if (text) {
      stop();
      await onCode(text);
    } else setTimeout(tick, 200);
  };
  tick();
  return stop;
}
