// The studio's Plotly chart: a Streamlit component (st.components.v2) that draws a figure with plotly.js's
// basic bundle and redraws it in place. Loaded by ui/common/chart.py; see its docstring for why.
//
// Streamlit calls the default export on mount and again whenever the figure it was given changes, with the
// same parentElement: the graph div made on the first call stays, and every later figure goes through
// Plotly.react on it (no remount; zoom and hidden legend entries survive while uirevision is unchanged).
//
// A chart given a redraw request (ui/explore/main_chart.py) also draws the figure for a slider being moved before
// the page's rerun delivers it: it posts the editor's values with the slider's new grid point to the app's
// redraw route and draws the answer, which has the revision the rerun's figure will have (so that one is not
// drawn again). While a slider is dragged, it redraws for each new point, one request at a time.

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
      // x axes keep the figure's fixed bottom and right margins (ui/common/figures.py leaves room for their title
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

// --- redraw while a slider moves ---------------------------------------------------------------------------

// The slider (its widget key) an event happened on, if it is one the chart's redraw request lists.
function movedSlider(div, event) {
  const request = div._studioRedraw;
  const box = request && event.target instanceof Element ? event.target.closest('[class*="st-key-"]') : null;
  if (!box) return null;
  return Object.keys(request.sliders).find((key) => box.classList.contains(`st-key-${key}`)) || null;
}

// The grid point a key press moves the thumb to, known before the slider handles the key (so the request
// leaves before the widget's rerun does): one point for an arrow, the ends for Home and End.
const KEY_STEPS = {ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, Home: -Infinity, End: Infinity};

function sliderIndex(key, event) {
  const input = document.querySelector(`.st-key-${key} input[type="range"]`);
  if (!input) return NaN;
  const index = Number(input.value);
  if (!event || event.type !== "keydown" || !(event.key in KEY_STEPS)) return index;
  return Math.min(Math.max(index + KEY_STEPS[event.key], Number(input.min)), Number(input.max));
}

// Where the thumb was when the visitor took the slider (pointerdown, keydown), before the slider handles it.
function takeSlider(div, key) {
  div._studioTaken = {key, index: sliderIndex(key), moved: false};
}

// The value to ask for at a grid point (the slider's range input holds the point's index). The point the
// thumb was taken at stands for the value the page shows, which may be off the grid (a typed exact value):
// Streamlit reruns nothing when the thumb comes back there, so the chart must come back to that figure, and
// while the thumb has not left it there is nothing to ask for.
function pointValue(div, request, key, index) {
  const slider = request.sliders[key];
  if (!Number.isInteger(index) || index < 0 || index >= slider.values.length) return {found: false};
  const taken = div._studioTaken;
  if (!taken || taken.key !== key || taken.index !== index) return {found: true, value: slider.values[index]};
  return taken.moved ? {found: true, value: request.values[slider.key]} : {found: false};
}

// The request goes out from a worker, which also reads the answer's JSON: at that moment the page's main
// thread is rendering the rerun's first messages, and the answer's network tasks would wait behind them.
const WORKER = `onmessage = async ({data: {id, url, body}}) => {
  try {
    const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body});
    postMessage({id, answer: response.ok ? await response.json() : null});
  } catch (error) {
    postMessage({id, answer: null});
  }
};`;
let worker = null;
let lastId = 0;
const asked = new Map();
const ANSWER_WAIT_MS = 5000;

function post(url, body) {
  if (!worker) {
    worker = new Worker(URL.createObjectURL(new Blob([WORKER], {type: "text/javascript"})));
    worker.onmessage = ({data: {id, answer}}) => {
      asked.get(id)?.(answer);
      asked.delete(id);
    };
  }
  const id = ++lastId;
  return new Promise((resolve) => {
    asked.set(id, resolve);
    worker.postMessage({id, url, body});
  });
}

// Ask for the figure of the slider's current point; a request already out finishes first, then the newest
// point is asked for. An answer is drawn only while no newer figure came with a rerun.
async function redrawFor(div, key, index = sliderIndex(key)) {
  const request = div._studioRedraw;
  const point = request ? pointValue(div, request, key, index) : {found: false};
  if (!point.found) return;
  if (div._studioTaken?.key === key) div._studioTaken.moved = true;
  const body = JSON.stringify({values: request.values, view: request.view, key: request.sliders[key].key,
                               value: point.value});
  if (body === div._studioAsked) return;  // this point's figure is drawn or on its way
  // One request at a time (a drag asks for its newest point when the last answer is in); one that has not
  // been answered in a few seconds no longer holds the next back.
  if (div._studioAsking && performance.now() - div._studioAskedAt < ANSWER_WAIT_MS) {
    div._studioWaiting = key;
    return;
  }
  div._studioAsking = true;
  div._studioAskedAt = performance.now();
  div._studioAsked = body;
  const generation = div._studioGeneration;
  try {
    // Anything but a figure (a value the spec rejects, an app served without the route) is left to the rerun.
    const answer = await post(new URL(request.route, bundleUrl().replace(BUNDLE, "")).href, body);
    if (answer && generation === div._studioGeneration) {
      div._studioNext = answer;
      div.dataset.redraws = Number(div.dataset.redraws || 0) + 1;
      draw(div);
    }
  } catch (error) {
    // The rerun brings the figure anyway: a failed shortcut is not an error to show.
  } finally {
    div._studioAsking = false;
    const waiting = div._studioWaiting;
    div._studioWaiting = null;
    if (waiting) redrawFor(div, waiting);
  }
}

const EVENTS = ["pointerdown", "pointermove", "pointerup", "keydown"];

// Listen once per chart, on the whole page: the editor's sliders are re-created by Streamlit now and then.
// The slider updates its thumb in its own handler of the same event, so the value is read a frame later.
function watchSliders(div) {
  if (div._studioWatching) return;
  div._studioWatching = (event) => {
    if (event.type === "pointermove" && !event.buttons) return;
    const key = movedSlider(div, event);
    if (!key) return;
    if (event.type === "pointerdown" || event.type === "keydown") takeSlider(div, key);
    if (event.type === "pointerdown") return;
    if (event.type === "keydown" && event.key in KEY_STEPS) redrawFor(div, key, sliderIndex(key, event));
    requestAnimationFrame(() => redrawFor(div, key));  // the point the slider settled on
  };
  for (const type of EVENTS) {
    document.addEventListener(type, div._studioWatching, true);
  }
}

function unwatchSliders(div) {
  if (!div._studioWatching) return;
  for (const type of EVENTS) {
    document.removeEventListener(type, div._studioWatching, true);
  }
  div._studioWatching = null;
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
      // What the chart shows, for the tests: the figure's revision and how many figures it has drawn.
      div.dataset.revision = revision;
      div.dataset.draws = Number(div.dataset.draws || 0) + 1;
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
  // A figure from a rerun is newer than any answer still on its way.
  div._studioGeneration = (div._studioGeneration || 0) + 1;
  div._studioAsked = null;
  div._studioRedraw = data.redraw || null;
  if (div._studioRedraw) watchSliders(div);
  else unwatchSliders(div);
  draw(div);
  return () => {
    unwatchSliders(div);
    div._studioResize.disconnect();
    if (window.Plotly) window.Plotly.purge(div);
  };
}
