// The canvas of mnist_lab.widgets.draw_digit, an anywidget front end. Pointer events cover the
// mouse, touch screens and pens alike. A stroke is drawn here at once (no round trip to the
// kernel), and the strokes go to Python as lists of [x, y] points in canvas pixels: while a
// stroke is drawn at most every 150 ms, and when it ends.
const SEND_EVERY_MS = 150;

function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  canvas.className = "mnist-lab-draw-canvas";
  // touch-action: none keeps a finger's stroke from scrolling the notebook
  canvas.style.cssText = "touch-action:none;border:1px solid #999;border-radius:4px;" +
    "background:#fff;cursor:crosshair;width:" + size + "px;height:" + size + "px";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let strokes = model.get("strokes").map((s) => s.slice());
  let current = null; // the stroke being drawn, or null
  let lastSent = 0;

  function paint() {
    ctx.clearRect(0, 0, size, size);
    ctx.strokeStyle = ctx.fillStyle = "#111";
    ctx.lineWidth = size / 14;
    ctx.lineCap = ctx.lineJoin = "round";
    for (const stroke of strokes) {
      ctx.beginPath();
      ctx.moveTo(stroke[0][0], stroke[0][1]);
      for (const [x, y] of stroke.slice(1)) ctx.lineTo(x, y);
      if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.1, stroke[0][1]); // a dot
      ctx.stroke();
    }
  }

  function send() {
    model.set("strokes", strokes.map((s) => s.slice()));
    model.save_changes();
    lastSent = Date.now();
  }

  function point(event) {
    const box = canvas.getBoundingClientRect(); // the canvas may be shown scaled
    const x = ((event.clientX - box.left) * size) / box.width;
    const y = ((event.clientY - box.top) * size) / box.height;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    paint();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (current === null) return;
    current.push(point(event));
    paint();
    if (Date.now() - lastSent > SEND_EVERY_MS) send();
  });
  const end = () => {
    if (current === null) return;
    current = null;
    send();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  // Clear and Undo are Python buttons: they change the strokes there, and the canvas follows
  model.on("change:strokes", () => {
    if (current !== null) return; // mid-stroke, this canvas is ahead of the kernel
    strokes = model.get("strokes").map((s) => s.slice());
    paint();
  });
  paint();
}

export default { render };
