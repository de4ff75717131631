// A plotly figure drawn from the widget's state: see page_figure.py for why.

// plotly.js, once per page. PlotlyOnPage's model starts loading it when the model is made; a
// figure waits for it (two minutes at most) before its first draw.
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

export default {
  initialize({ model }) {
    const source = model.get("source");
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
