"""What every page shares.

- ``chart`` + ``chart.js``: the Plotly chart component (plotly.js's basic bundle, redrawn in place; the
  explore chart also redraws itself from the app's route while a slider moves).
- ``figures``: figure factories and the palette; ``decimate``: min/max decimation of long curves.
- ``curves``: a spec's analysed curve (decimated views, summary) and its no-warmup twin.
- ``tables``: small markdown tables.
- ``link_state``: the share link's state and its round trip through the URL.
- ``heavy``: bounds on what visitors can make one server process compute at once.
- ``page_visits``: which page the session's previous run showed (widget values after a page switch).
"""
