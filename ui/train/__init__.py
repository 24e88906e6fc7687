"""The Train page: a real network trained under the schedule, its no-warmup twin and the compared schedules.

- ``keys``: every session-state key the page uses.
- ``page_state``: the schedule set and training controls from the link or the explore page.
- ``link_params``: the page's own controls in its share link; ``setup``: optimizer choices, bounds and the
  set of schedules trained; ``hyper_controls``: the optimizer's hyperparameter boxes.
- ``runs``: cached training runs, one at a time per process; ``figures``: loss, lr, held-out and
  first-update figures and the summary rows.
"""
