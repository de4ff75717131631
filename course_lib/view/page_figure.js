// A plotly figure drawn from the widget's state: see page_figure.py for why.

// plotly.js, once per page. PlotlyOnPage's model starts loading it when plotly.js reaches the
// page; a figure waits for it (two minutes at most) before its first draw.
function plotlyOnPage() {
  return new Promise((resolve, reject) => {
    const since = Date.now();
    (function wait() {
      const loading = globalThis.__courseLibPlotly;
      if (loading) loading.then(resolve, reject);
      else if (Date.now() - since > 120_000) reject(new Error("plotly.js never reached this page"));
      else setTimeout(wait, 50);
    })();
  });
}

function loadPlotly(source) {
  // Not awaited by initialize: anywidget gives initialize 2 s, and plotly.js takes 1.5-2 s to
  // load on a quiet 2-core machine (a model that misses that deadline never hears from Python).
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      try {
        if (!globalThis.Plotly) {
          const script = document.createElement("script");
          script.textContent = source; // plotly.min.js: it sets window.Plotly
          document.head.appendChild(script);
        }
        globalThis.Plotly ? resolve(globalThis.Plotly) : reject(new Error("plotly.js did not load"));
      } catch (error) {
        reject(error);
      }
    }, 0);
  });
}

// PlotlyOnPage's model: plotly.js comes in a message (a binary buffer), never in the state. The
// kernel sends it when it makes the widget; a page that makes the model anew (a reload, a second
// tab) asks for it, again every 5 s until it has come (the kernel may be busy with a cell).
function receivePlotly(model) {
  const receive = (message, buffers) => {
    if (!message || !("plotly.js" in message) || globalThis.__courseLibPlotly) return;
    globalThis.__courseLibPlotly = loadPlotly(new TextDecoder().decode(buffers[0]));
  };
  model.on("msg:custom", receive);
  let asks = 0;
  const ask = () => {
    if (globalThis.__courseLibPlotly || asks++ >= 24) return;
    model.send({ want: "plotly.js" });
    timer = setTimeout(ask, 5000);
  };
  let timer = setTimeout(ask, 1000);
  return () => {
    clearTimeout(timer);
    model.off("msg:custom", receive);
  };
}

export default {
  initialize({ model }) {
    if (model.get("library")) return receivePlotly(model);
    const source = model.get("source"); // a figure that brings its own plotly.js (Colab)
    if (source && !globalThis.__courseLibPlotly) globalThis.__courseLibPlotly = loadPlotly(source);
  },

  async render({ model, el }) {
    if (!model.get("figure")) return; // the library itself: nothing to show
    el.textContent = "Loading plotly…";
    let Plotly;
    try {
      Plotly = await plotlyOnPage();
    } catch (error) {
      el.textContent = `The timeline cannot be drawn: ${error.message}. Reload the page.`;
      return;
    }
    el.textContent = "";
    // Each draw shows the state as it is now: a frame that came while plotly.js was loading is
    // not lost, it is simply drawn later, and a reloaded page draws the last frame.
    const draw = () => {
      const figure = model.get("figure");
      const layout = { ...figure.layout, template: model.get("template") };
      Plotly.react(el, figure.data, layout, { displaylogo: false, responsive: true });
    };
    model.on("change:figure", draw);
    model.on("change:template", draw);
    draw();
    // The slot's width is known only once the output is laid out: follow it.
    const resize = new ResizeObserver(() => {
      if (el.offsetWidth) Plotly.Plots.resize(el);
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      Plotly.purge(el);
    };
  },
};
