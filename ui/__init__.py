"""The Streamlit app's building blocks, one package per page and the pieces they share.

- ``ui.explore``: the explore page (editor, chart, close-ups, comparison, export, import, share).
- ``ui.train``: the Train page (a real network trained under the schedule set).
- ``ui.finder``: the LR range test page (built-in sweeps in worker processes, uploaded finder output).
- ``ui.common``: what every page uses (the chart component, figure helpers, tables, decimation, the share
  link's state, heavy-work bounds, page visits).

Pages (``pages/*.py``) only lay out sections; what a page computes and keeps lives in its package here. The
engine (``schedules``) never imports from ``ui``.
"""
