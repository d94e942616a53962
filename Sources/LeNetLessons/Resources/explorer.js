// LeNet-5 explorer: the forward pass of the network in network.js (window.LENET), every
// layer's maps, the arithmetic of any unit, and a drawing pad. No network requests, no
// libraries: the page works from file://.
"use strict";
(function () {
  const net = window.LENET;

  // ---- the forward pass, one primitive at a time (as `lesson export` writes them) ----

  // A tensor: shape [C, H, W] (or [N]) and its values in a Float64Array.
  function tensor(shape, values) {
    return { shape: shape, values: values || new Float64Array(shape.reduce((a, b) => a * b, 1)) };
  }

  const ops = {
    convolution(x, op, layer) {
      const [inMaps, h, w] = x.shape, k = op.kernel, outH = h - k + 1, outW = w - k + 1;
      const y = tensor([op.outputs, outH, outW]);
      for (let o = 0; o < op.outputs; o++) {
        const reads = layer.reads ? layer.reads[o] : [...Array(inMaps).keys()];
        for (let r = 0; r < outH; r++) for (let c = 0; c < outW; c++) {
          let a = op.bias[o];
          for (const i of reads) for (let u = 0; u < k; u++) for (let v = 0; v < k; v++)
            a += op.weight[((o * op.inputs + i) * k + u) * k + v] * x.values[(i * h + r + u) * w + c + v];
          y.values[(o * outH + r) * outW + c] = a;
        }
      }
      return y;
    },
    scaledSum2x2(x, op) {
      const [maps, h, w] = x.shape, outH = h >> 1, outW = w >> 1;
      const y = tensor([maps, outH, outW]);
      for (let m = 0; m < maps; m++) for (let r = 0; r < outH; r++) for (let c = 0; c < outW; c++) {
        const at = (rr, cc) => x.values[(m * h + rr) * w + cc];
        const sum = at(2 * r, 2 * c) + at(2 * r, 2 * c + 1) + at(2 * r + 1, 2 * c) + at(2 * r + 1, 2 * c + 1);
        y.values[(m * outH + r) * outW + c] = op.coefficient[m] * sum + op.bias[m];
      }
      return y;
    },
    average2x2(x) {
      const [maps, h, w] = x.shape, outH = h >> 1, outW = w >> 1;
      const y = tensor([maps, outH, outW]);
      for (let m = 0; m < maps; m++) for (let r = 0; r < outH; r++) for (let c = 0; c < outW; c++) {
        const at = (rr, cc) => x.values[(m * h + rr) * w + cc];
        y.values[(m * outH + r) * outW + c] =
          (at(2 * r, 2 * c) + at(2 * r, 2 * c + 1) + at(2 * r + 1, 2 * c) + at(2 * r + 1, 2 * c + 1)) / 4;
      }
      return y;
    },
    flatten(x) { return tensor([x.values.length], x.values); },
    dense(x, op) {
      const y = tensor([op.outputs]);
      for (let o = 0; o < op.outputs; o++) {
        let a = op.bias[o];
        for (let i = 0; i < op.inputs; i++) a += op.weight[o * op.inputs + i] * x.values[i];
        y.values[o] = a;
      }
      return y;
    },
    squaredDistance(x, op) {
      const y = tensor([op.classes]);
      for (let k = 0; k < op.classes; k++) {
        let d = 0;
        for (let j = 0; j < op.inputs; j++) { const e = x.values[j] - op.centers[k * op.inputs + j]; d += e * e; }
        y.values[k] = d;
      }
      return y;
    },
    squash(x, op) { return tensor(x.shape, x.values.map((a) => op.amplitude * Math.tanh(op.slope * a))); },
    tanh(x) { return tensor(x.shape, x.values.map(Math.tanh)); },
    identity(x) { return x; },
  };
  const activations = new Set(["squash", "tanh", "identity"]);

  // Grey levels (rows × columns, 0 = paper … 255 = ink) as the 32×32 input, digit centred.
  function input(pixels, rows, columns) {
    const side = net.inputSize, s = net.scaling;
    const x = tensor([1, side, side]);
    x.values.fill(s.background);
    const top = (side - rows) >> 1, left = (side - columns) >> 1;
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++)
      x.values[(top + r) * side + left + c] = s.background + (s.foreground - s.background) * pixels[r * columns + c] / 255;
    return x;
  }

  // Every layer's weighted sums (a) and outputs (f(a)), from grey levels.
  function run(pixels, rows, columns) {
    let x = input(pixels, rows || 28, columns || 28);
    const trace = [{ name: "input", output: x }];
    for (const layer of net.layers) {
      let sums = null;
      for (const op of layer.ops) {
        if (activations.has(op.op)) sums = x;
        x = ops[op.op](x, op, layer);
      }
      trace.push({ name: layer.name, layer: layer, sums: sums || x, output: x });
    }
    return trace;
  }

  function answer(outputs) {
    let best = 0;
    for (let k = 1; k < outputs.length; k++)
      if (net.outputRule === "smallest" ? outputs[k] < outputs[best] : outputs[k] > outputs[best]) best = k;
    return best;
  }

  // ---- drawing ----

  const A = 1.7159;
  function range(name) {
    if (name === "input") return [net.scaling.background, net.scaling.foreground];
    return [-A, A];
  }

  // A map as a canvas: white = low, black = high (ink on paper).
  function drawMap(canvas, values, offset, h, w, lowHigh, box) {
    canvas.width = w; canvas.height = h;
    const g = canvas.getContext("2d"), img = g.createImageData(w, h), [lo, hi] = lowHigh;
    for (let i = 0; i < h * w; i++) {
      const t = Math.min(1, Math.max(0, (values[offset + i] - lo) / (hi - lo))) || 0;
      const v = Math.round(255 * (1 - t));
      img.data.set([v, v, v, 255], 4 * i);
    }
    g.putImageData(img, 0, 0);
    if (box) {
      g.fillStyle = "rgba(217, 95, 2, 0.35)";
      g.fillRect(box.x, box.y, box.w || box.size, box.h || box.size);
    }
  }

  let trace = null, current = null, explained = null;
  const network = document.getElementById("network");

  // One row of maps per layer; C5, F6 and the output get strips.
  function build() {
    network.innerHTML = "";
    const inputBox = document.getElementById("input");
    inputBox.innerHTML = "";
    inputBox.appendChild(mapCanvas(0, 0, "input"));
    net.layers.forEach((layer, index) => {
      const section = document.createElement("div");
      section.className = "layer";
      const [maps, h, w] = layer.shape.length === 3 ? layer.shape : [1, 1, layer.shape[0]];
      const title = document.createElement("div");
      title.className = "layer-title";
      title.textContent = `${layer.name}: ${layer.kind}, ${layer.shape.join("×")}`;
      section.appendChild(title);
      const row = document.createElement("div");
      row.className = "maps" + (h * w === 1 || layer.shape.length === 1 ? " units" : "");
      if (layer.ops.some((o) => o.op === "squaredDistance")) {
        row.id = "outputs";
      } else if (h * w === 1 || layer.shape.length === 1) {
        // One canvas for all the units: 12 columns (C5), or F6's 7×12 picture.
        row.appendChild(mapCanvas(index + 1, -1, layer.name));
      } else {
        for (let m = 0; m < maps; m++) row.appendChild(mapCanvas(index + 1, m, layer.name));
      }
      section.appendChild(row);
      network.appendChild(section);
    });
  }

  function mapCanvas(step, map, name) {
    const c = document.createElement("canvas");
    c.className = "map";
    c.dataset.step = step; c.dataset.map = map; c.dataset.layer = name;
    c.title = map >= 0 ? `${name} map ${map}` : name;
    c.tabIndex = 0;
    c.addEventListener("mousemove", (e) => hover(c, e.offsetX / c.clientWidth, e.offsetY / c.clientHeight));
    c.addEventListener("click", (e) => hover(c, e.offsetX / c.clientWidth, e.offsetY / c.clientHeight));
    return c;
  }

  // The units of a layer laid out as a picture: [maps, h, w] maps, or strips for vectors.
  function geometry(step) {
    const t = trace[step].output;
    if (t.shape.length === 3 && t.shape[1] * t.shape[2] > 1) return { maps: t.shape[0], h: t.shape[1], w: t.shape[2] };
    const n = t.values.length;
    if (n === 84) return { maps: 1, h: 7, w: 12, strip: true };  // F6 as the paper draws it
    return { maps: 1, h: Math.ceil(n / 12), w: 12, strip: true };
  }

  function render(highlight) {
    document.querySelectorAll("canvas.map").forEach((c) => {
      const step = +c.dataset.step, map = +c.dataset.map, g = geometry(step);
      const values = trace[step].output.values;
      let box = null;
      if (highlight && highlight.step === step && (highlight.maps === null || highlight.maps.includes(map)))
        box = highlight.box;
      // The unit's receptive field in the input, however deep the unit.
      if (highlight && step === 0 && highlight.input) box = highlight.input;
      c.classList.toggle("reads", !!(highlight && highlight.step === step && highlight.maps && highlight.maps.includes(map)));
      c.classList.toggle("dim", !!(highlight && highlight.step === step && highlight.maps && !highlight.maps.includes(map)));
      c.classList.toggle("unit", !!(highlight && highlight.self && highlight.self.step === step && highlight.self.map === map));
      if (g.strip) {
        const padded = new Float64Array(g.h * g.w);
        padded.set(values);
        drawMap(c, padded, 0, g.h, g.w, range(trace[step].name), box);
      } else {
        drawMap(c, values, Math.max(0, map) * g.h * g.w, g.h, g.w, range(trace[step].name), box);
      }
    });
    showOutputs();
  }

  function showOutputs() {
    const out = trace[trace.length - 1].output.values, best = answer(out);
    const box = document.getElementById("outputs");
    const codes = net.layers[net.layers.length - 1].ops.find((o) => o.op === "squaredDistance");
    const max = Math.max(...out);
    box.innerHTML = "";
    if (codes) {
      // F6's output drawn as the codes are, 7×12, above the ten codes it is compared with.
      const f6 = trace[trace.length - 2].output.values, head = document.createElement("div");
      head.className = "output f6";
      const c = document.createElement("canvas");
      c.className = "code f6-picture";
      drawMap(c, f6, 0, 7, 12, [-A, A]);
      const label = document.createElement("span");
      label.textContent = "F6's 84 outputs as a 7×12 picture; each code below, and its squared distance from it:";
      head.append(c, label);
      box.appendChild(head);
    }
    out.forEach((v, k) => {
      const row = document.createElement("div");
      row.className = "output" + (k === best ? " best" : "");
      row.dataset.digit = k;
      let code = "";
      if (codes) {
        const c = document.createElement("canvas");
        c.className = "code";
        drawMap(c, codes.centers, k * codes.inputs, 7, 12, [-1, 1]);
        code = c;
      }
      const label = document.createElement("span");
      label.className = "digit";
      label.textContent = k;
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.max(4, Math.round(300 * v / (max || 1)))}px`;
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = v.toFixed(2);
      row.append(label);
      if (code) row.append(code);
      row.append(bar, value);
      box.appendChild(row);
    });
    document.getElementById("answer").innerHTML =
      `<p class="verdict">The network answers <strong id="verdict">${best}</strong>` +
      (current && current.label !== undefined ? ` (the digit is a ${current.label})` : "") +
      (net.outputRule === "smallest" ? ": the code nearest to F6's picture (smallest squared distance)." : ": the largest output.") + "</p>";
  }

  const fmt = (v) => (Math.abs(v) < 1e-4 && v !== 0 ? v.toExponential(2) : v.toFixed(4));

  // The arithmetic of unit (map, r, c) of the layer computed at `step`.
  function explain(step, map, r, c) {
    const item = trace[step], layer = item.layer, before = trace[step - 1].output;
    const panel = document.getElementById("explain");
    const a = item.sums.shape.length === 3
      ? item.sums.values[(map * item.sums.shape[1] + r) * item.sums.shape[2] + c]
      : item.sums.values[map >= 0 ? map : r * 12 + c];
    const unitIndex = item.output.shape.length === 3 && item.output.shape[1] * item.output.shape[2] > 1
      ? (map * item.output.shape[1] + r) * item.output.shape[2] + c : r * 12 + c;
    const fa = item.output.values[unitIndex];
    const conv = layer.ops.find((o) => o.op === "convolution"), sub = layer.ops.find((o) => o.op === "scaledSum2x2");
    const dense = layer.ops.find((o) => o.op === "dense"), rbf = layer.ops.find((o) => o.op === "squaredDistance");
    let html = "", highlight = { step: step - 1, maps: null, box: null, self: { step: step, map: map } };
    const unitName = item.output.shape.length === 3 && item.output.shape[1] > 1 ? `map ${map}, unit (${r}, ${c})` : `unit ${unitIndex}`;
    if (conv) {
      const o = conv.outputs > 1 && item.output.shape[1] > 1 ? map : unitIndex, k = conv.kernel;
      const reads = layer.reads ? layer.reads[o] : [...Array(conv.inputs).keys()];
      const [, h, w] = before.shape;
      const rr = item.output.shape[1] > 1 ? r : 0, cc = item.output.shape[1] > 1 ? c : 0;
      highlight = { step: step - 1, maps: reads, box: { x: cc, y: rr, size: k }, self: highlight.self };
      const parts = reads.map((i) => {
        let s = 0;
        const cells = [];
        for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) {
          const wv = conv.weight[((o * conv.inputs + i) * k + u) * k + v], xv = before.values[(i * h + rr + u) * w + cc + v];
          s += wv * xv;
          cells.push(`<td title="w ${fmt(wv)} × x ${fmt(xv)}">${fmt(wv * xv)}</td>`);
        }
        return { i, s, cells };
      });
      html = `<h3>${layer.name} ${unitName}</h3><p>a = b + Σ w·x over a ${k}×${k} window of ` +
        (reads.length === 1 ? `${trace[step - 1].name} map ${reads[0]}` : `the ${reads.length} maps of ${trace[step - 1].name} that ${layer.reads ? "its table" : "it"} connects: ${reads.join(", ")}`) + `</p>`;
      if (reads.length === 1) {
        html += `<table class="products">${[...Array(k).keys()].map((u) => `<tr>${parts[0].cells.slice(u * k, u * k + k).join("")}</tr>`).join("")}</table>` +
          `<p>the ${k * k} products w·x (hover one for its w and x) sum to ${fmt(parts[0].s)}</p>`;
      } else {
        html += `<p>${parts.map((p) => `map ${p.i}: ${fmt(p.s)}`).join(" + ")}</p>`;
      }
      html += `<p>b = ${fmt(conv.bias[o])}</p>`;
    } else if (sub) {
      const [, h, w] = before.shape, at = (y, x) => before.values[(map * h + y) * w + x];
      const four = [at(2 * r, 2 * c), at(2 * r, 2 * c + 1), at(2 * r + 1, 2 * c), at(2 * r + 1, 2 * c + 1)];
      const sum = four.reduce((s, v) => s + v, 0);
      highlight = { step: step - 1, maps: [map], box: { x: 2 * c, y: 2 * r, size: 2 }, self: highlight.self };
      html = `<h3>${layer.name} ${unitName}</h3><p>the 4 inputs ${four.map(fmt).join(", ")} of ${trace[step - 1].name} map ${map} sum to ${fmt(sum)};</p>` +
        `<p>a = coefficient × sum + bias = ${fmt(sub.coefficient[map])} × ${fmt(sum)} + ${fmt(sub.bias[map])}</p>`;
    } else if (dense) {
      let s = dense.bias[unitIndex];
      for (let i = 0; i < dense.inputs; i++) s += dense.weight[unitIndex * dense.inputs + i] * before.values[i];
      highlight = { step: step - 1, maps: null, box: null, self: highlight.self };
      html = `<h3>${layer.name} ${unitName}</h3><p>a = b + Σ w·x over all ${dense.inputs} outputs of ${trace[step - 1].name}; b = ${fmt(dense.bias[unitIndex])}</p>`;
    } else if (rbf) {
      return;
    }
    const squash = layer.ops.find((o) => o.op === "squash");
    html += `<p class="result">a = <strong id="unit-a">${fmt(a)}</strong>; f(a) = ` +
      (squash ? `1.7159·tanh(2a/3)` : `f(a)`) + ` = <strong id="unit-fa">${fmt(fa)}</strong></p>`;
    panel.innerHTML = html;
    panel.dataset.layer = layer.name; panel.dataset.map = map; panel.dataset.row = r; panel.dataset.column = c;
    panel.dataset.a = a; panel.dataset.fa = fa;
    explained = [step, map, r, c];
    highlight.input = inputField(step, r, c);
    if (highlight.input) {
      const f = highlight.input;
      html += `<p class="field">Its receptive field in the input: ${f.h}×${f.w} pixels, rows ${f.y}–${f.y + f.h - 1}, columns ${f.x}–${f.x + f.w - 1}.</p>`;
      panel.innerHTML = html;
      panel.dataset.field = `${f.h}x${f.w}`;
    }
    render(highlight);
  }

  // The input pixels unit (r, c) of the layer at `step` depends on, as network.js gives
  // them (the tool computes each layer's field from its primitives); null for dense layers.
  function inputField(step, r, c) {
    const f = trace[step].layer.field, shape = trace[step].output.shape;
    if (!f || shape.length !== 3) return null;
    const y = shape[1] > 1 ? r * f.jump : 0, x = shape[2] > 1 ? c * f.jump : 0;
    return { x: x, y: y, w: f.size, h: f.size };
  }

  function hover(canvas, fx, fy) {
    const step = +canvas.dataset.step;
    if (step === 0) return;
    const g = geometry(step);
    const r = Math.min(g.h - 1, Math.max(0, Math.floor(fy * g.h))), c = Math.min(g.w - 1, Math.max(0, Math.floor(fx * g.w)));
    if (g.strip && r * g.w + c >= trace[step].output.values.length) return;
    explain(step, +canvas.dataset.map, r, c);
  }

  function show(digit) {
    current = digit;
    trace = run(digit.pixels, digit.rows, digit.columns);
    document.querySelectorAll("#picker button").forEach((b) => b.classList.toggle("chosen", +b.dataset.index === digit.index));
    // The unit explained last is explained again for the new digit.
    if (explained) explain(...explained); else render(null);
  }

  // ---- the digit picker ----
  function picker() {
    const box = document.getElementById("picker");
    net.digits.forEach((d) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.index = d.index;
      b.title = `test digit ${d.index} (a ${d.label})`;
      const c = document.createElement("canvas");
      drawMap(c, Float64Array.from(d.pixels), 0, d.rows, d.columns, [0, 255]);
      b.appendChild(c);
      b.addEventListener("click", () => show(d));
      box.appendChild(b);
    });
  }

  // ---- the drawing pad: MNIST's preparation (a 20×20 box, centred by centre of mass in 28×28) ----
  function pad() {
    const canvas = document.getElementById("pad"), g = canvas.getContext("2d");
    const clear = () => { g.fillStyle = "white"; g.fillRect(0, 0, canvas.width, canvas.height); };
    clear();
    let drawing = false, last = null;
    const at = (e) => { const b = canvas.getBoundingClientRect(); return [(e.clientX - b.left) * canvas.width / b.width, (e.clientY - b.top) * canvas.height / b.height]; };
    canvas.addEventListener("pointerdown", (e) => { drawing = true; last = at(e); canvas.setPointerCapture(e.pointerId); e.preventDefault(); });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const p = at(e);
      g.strokeStyle = "black"; g.lineWidth = 18; g.lineCap = "round"; g.lineJoin = "round";
      g.beginPath(); g.moveTo(last[0], last[1]); g.lineTo(p[0], p[1]); g.stroke();
      last = p;
    });
    const done = () => { if (!drawing) return; drawing = false; classifyPad(); };
    canvas.addEventListener("pointerup", done);
    canvas.addEventListener("pointerleave", done);
    document.getElementById("clear").addEventListener("click", () => { clear(); show(net.digits[0]); });
  }

  // The pad's picture as MNIST would have prepared it: 28×28 grey levels, or null when empty.
  function prepare(canvas) {
    const w = canvas.width, h = canvas.height, data = canvas.getContext("2d").getImageData(0, 0, w, h).data;
    let top = h, left = w, bottom = -1, right = -1;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
      if (data[4 * (y * w + x)] < 128) { top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x); }
    if (bottom < 0) return null;
    const bw = right - left + 1, bh = bottom - top + 1, s = 20 / Math.max(bw, bh);
    const small = document.createElement("canvas");
    small.width = Math.max(1, Math.round(bw * s)); small.height = Math.max(1, Math.round(bh * s));
    const sg = small.getContext("2d");
    sg.fillStyle = "white"; sg.fillRect(0, 0, small.width, small.height);
    sg.imageSmoothingEnabled = true; sg.imageSmoothingQuality = "high";
    sg.drawImage(canvas, left, top, bw, bh, 0, 0, small.width, small.height);
    const sd = sg.getImageData(0, 0, small.width, small.height).data;
    let mass = 0, my = 0, mx = 0;
    const ink = [];
    for (let y = 0; y < small.height; y++) for (let x = 0; x < small.width; x++) {
      const v = 255 - sd[4 * (y * small.width + x)];
      ink.push(v); mass += v; my += v * y; mx += v * x;
    }
    const oy = Math.round(14 - my / mass), ox = Math.round(14 - mx / mass);
    const pixels = new Array(28 * 28).fill(0);
    for (let y = 0; y < small.height; y++) for (let x = 0; x < small.width; x++) {
      const ty = y + oy, tx = x + ox;
      if (ty >= 0 && ty < 28 && tx >= 0 && tx < 28) pixels[ty * 28 + tx] = ink[y * small.width + x];
    }
    return pixels;
  }

  function classifyPad() {
    const pixels = prepare(document.getElementById("pad"));
    if (!pixels) return;
    document.getElementById("pad-note").textContent = "scaled into a 20×20 box, centred by its centre of mass in 28×28";
    show({ index: -1, pixels: pixels, rows: 28, columns: 28 });
  }

  // ---- for the browser test and the curious reader's console ----
  window.lenet = {
    forward: (pixels, rows, columns) => Array.from(run(pixels, rows, columns).pop().output.values),
    answer: answer,
    show: (i) => show(net.digits[i]),
    explain: (layerName, map, r, c) => {
      const step = trace.findIndex((t) => t.name === layerName);
      explain(step, map, r, c);
      const p = document.getElementById("explain").dataset;
      return { a: +p.a, fa: +p.fa };
    },
    prepare: prepare,
  };

  document.getElementById("origin").textContent = `Weights: ${net.origin}. Digits: ${net.digitSet}.`;
  build();
  picker();
  pad();
  show(net.digits[0]);
})();
