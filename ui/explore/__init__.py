"""The explore page: edit a schedule with sliders, see it beside its no-warmup twin, close up on its warmup,
compare up to eight schedules, export, import and share.

- ``keys``: every session-state key the page uses, what it holds and who writes it.
- ``editor`` (widgets), ``editor_values`` (widget values <-> spec, slider grids), ``slider_moves``
  (callbacks: what a slider move reruns), ``grids`` (slider grids), ``budget`` (step counts from a budget).
- ``page_state``: the page state between URL, session and widgets; ``sections``: the sections outside the
  editor (view options, chart with numbers and diagnoses, explanations, share, import).
- ``main_chart``: the chart's figure, for a rerun and for the redraw route a moving slider calls.
- ``cached``: the page's cached analyses; ``closeup`` / ``closeup_panel``: the warmup close-ups;
  ``phases``: phase shading; ``compare_panel``, ``export_panel``, ``import_panel``, ``train_link``;
  ``explain``: the "About ..." texts.
"""
