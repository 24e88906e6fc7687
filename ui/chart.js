// The studio's Plotly chart: a Streamlit component (st.components.v2) that draws a figure with plotly.js's
// basic bundle and redraws it in place. Loaded by ui/chart.py; see its docstring for why.
//
// Streamlit calls the default export on mount and again whenever the figure it was given changes, with the
// same parentElement: the graph div made on the first call stays, and every later figure goes through
// Plotly.react on it (no remount; zoom and hidden legend entries survive while uirevision is unchanged).

const BUNDLE = "app/static/plotly-basic.min.js";
const DEFAULT_HEIGHT = 450;  // px, as st.plotly_chart
let loading = null;

// Streamlit's static files are served under the app's own base URL (a proxy may add a path prefix): take
// it from the URL of Streamlit's entry script, which lives at <base>/static/js/index.*.js.
function bundleUrl() {
  const entry = document.querySelector('script[type="module"][src*="/static/js/index"]');
  const base = entry ? entry.src.replace(/static\/js\/index[^/]*$/, "") : new URL("./", document.baseURI).href;
  return base + BUNDLE;
}

// plotly.js is loaded once per page (a classic script that defines window.Plotly), by the first chart.
function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = bundleUrl();
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error(`could not load plotly.js from ${script.src}`));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

// The page's theme as Streamlit exposes it to components (CSS custom properties on the parent), so the
// chart follows a light or dark theme the way Streamlit's own Plotly charts do.
function template(el) {
  const css = getComputedStyle(el);
  const read = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const text = read("--st-text-color", "#31333f");
  const background = read("--st-background-color", "#ffffff");
  const grid = read("--st-border-color-light", "rgba(49, 51, 63, 0.1)");
  const font = read("--st-font", '"Source Sans", sans-serif');
  const axis = {gridcolor: grid, zerolinecolor: grid, linecolor: grid, tickcolor: grid, automargin: true};
  return {
    layout: {
      font: {family: font, color: text, size: 12},
      title: {font: {family: read("--st-heading-font", font), size: 16}, x: 0, xanchor: "left"},
      paper_bgcolor: background,
      plot_bgcolor: background,
      // x axes keep the figure's fixed bottom and right margins (ui/figures.py leaves room for their title
      // and last label): with automargin, a close-up whose range moves with the warmup pushes the margins
      // differently on each slider move and plotly.js draws the whole figure twice (in-page 90 -> 75 ms).
      // "allow": no per-label overflow check on every redraw; labels stay inside the figure's margins.
      xaxis: {...axis, automargin: false, ticklabeloverflow: "allow"},
      yaxis: {...axis, ticklabeloverflow: "allow"},
      hoverlabel: {bgcolor: background, bordercolor: grid, font: {family: font, color: text}},
      legend: {font: {color: text}},
    },
  };
}

function graphDiv(parent) {
  let div = parent.querySelector(":scope > .studio-chart");
  if (!div) {
    div = document.createElement("div");
    div.className = "studio-chart";
    div.style.width = "100%";
    parent.appendChild(div);
    // Follow the column's width (a window resize, the sidebar opened or closed): plotly.js's own
    // "responsive" option only listens to the window.
    let width = 0;
    div._studioResize = new ResizeObserver(() => {
      const now = div.clientWidth;
      if (now !== width && div._fullLayout && window.Plotly) {
        width = now;
        window.Plotly.Plots.resize(div);
      }
    });
    div._studioResize.observe(div);
  }
  return div;
}

function showError(div, error) {
  if (window.Plotly) window.Plotly.purge(div);
  div._studioRevision = undefined;
  div.textContent = `The chart could not be drawn: ${error.message}`;
  div.style.color = "#ff4b4b";
  div._studioError = true;
}

// Draw the newest figure given; a figure that arrives while one is being drawn replaces any waiting one.
async function draw(div) {
  if (div._studioBusy) return;
  div._studioBusy = true;
  try {
    const Plotly = await loadPlotly();
    while (div._studioNext) {
      const {figure, config, revision} = div._studioNext;
      div._studioNext = null;
      if (revision !== undefined && revision === div._studioRevision) continue;  // the same figure again
      if (div._studioError) {  // a later figure after an error: start from an empty div
        div.textContent = "";
        div.style.color = "";
        div._studioError = false;
      }
      const layout = {...figure.layout, template: template(div)};
      layout.height = layout.height || DEFAULT_HEIGHT;
      await Plotly.react(div, figure.data, layout, config || {});
      div._studioRevision = revision;
    }
  } catch (error) {
    showError(div, error);
  } finally {
    div._studioBusy = false;
  }
}

export default function ({data, parentElement}) {
  const div = graphDiv(parentElement);
  // Hold the chart's height while plotly.js loads, so the page below does not jump when it appears.
  div.style.minHeight = `${data.figure.layout.height || DEFAULT_HEIGHT}px`;
  div._studioNext = data;
  draw(div);
  return () => {
    div._studioResize.disconnect();
    if (window.Plotly) window.Plotly.purge(div);
  };
}
