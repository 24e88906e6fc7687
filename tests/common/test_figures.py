"""ui.common.figures: the chart factory's traces, axes, phase shading and decimation, read from fig.data/fig.layout."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import schedules
from schedules import load_preset, load_spec
from ui.common.figures import MAX_POINTS, Trace, figure_dict, schedule_figure, with_closeup
from ui.explore.phases import phase_spans


def trace_of(spec, name: str = "lr", dash: str = "solid") -> Trace:
    return Trace(name, np.arange(spec.total_steps), schedules.curve(spec), dash=dash)


def test_one_trace_per_curve_with_names_and_dash():
    spec = load_preset("gpt_cosine")
    fig = schedule_figure([trace_of(spec, "schedule"), trace_of(spec, "twin", "dash")])
    assert [t.name for t in fig.data] == ["schedule", "twin"]
    assert fig.data[1].line.dash == "dash"
    assert fig.layout.yaxis.type == "linear"


def test_log_axis():
    spec = load_preset("bert")
    assert schedule_figure([trace_of(spec)], log_y=True).layout.yaxis.type == "log"


def test_phases_are_shaded_and_labelled_in_x_units():
    spec = load_preset("minicpm_wsd")
    phases = phase_spans(spec)
    fig = schedule_figure([trace_of(spec)], phases=phases)
    assert [s.x0 for s in fig.layout.shapes] == [p.start for p in phases]
    assert [s.x1 for s in fig.layout.shapes] == [p.end for p in phases]
    assert [a.text for a in fig.layout.annotations] == ["warmup", "stable", "decay"]
    assert [a.y for a in fig.layout.annotations] == pytest.approx([1, 0.94, 1])  # a 2% warmup: labels stagger
    assert all(s.yref == "paper" and s.layer == "below" for s in fig.layout.shapes)


def test_epoch_axis_divides_by_steps_per_epoch_and_hover_shows_step_and_epoch():
    spec = load_preset("sgdr")
    fig = schedule_figure([trace_of(spec)], phases=phase_spans(spec), x_axis="epoch",
                          steps_per_epoch=spec.steps_per_epoch)
    x = np.asarray(fig.data[0].x)
    assert x[-1] == pytest.approx((spec.total_steps - 1) / spec.steps_per_epoch)
    assert fig.layout.xaxis.title.text == "epoch"
    assert fig.layout.shapes[1].x0 == pytest.approx(3910 / 391)  # second cycle starts at epoch 10
    custom = np.asarray(fig.data[0].customdata)  # the step under each epoch, for the hover
    assert custom.ndim == 1 and custom[-1] == spec.total_steps - 1
    assert "step" in fig.data[0].hovertemplate and "epoch" in fig.data[0].hovertemplate


def test_epoch_axis_needs_steps_per_epoch():
    with pytest.raises(ValueError, match="steps_per_epoch"):
        schedule_figure([trace_of(load_preset("gpt_cosine"))], x_axis="epoch")
    with pytest.raises(ValueError, match="x_axis"):
        schedule_figure([], x_axis="time")


def test_momentum_on_a_secondary_axis():
    spec = load_preset("one_cycle")
    mom = Trace("momentum", np.arange(spec.total_steps), schedules.momentum_curve(spec))
    fig = schedule_figure([trace_of(spec)], momentum=mom)
    assert fig.data[-1].yaxis == "y2" and fig.data[0].yaxis == "y"
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.side == "right"
    assert max(fig.data[-1].y) == pytest.approx(0.95)


def test_ten_million_steps_are_decimated_keeping_the_true_extremes():
    spec = load_spec({"total_steps": 10_000_000, "lr": 0.1, "warmup": {"steps": 100_000},
                      "schedule": {"type": "cosine_restarts", "period": 700_001, "min_lr": 1e-6, "peak_decay": 0.8}})
    lr = schedules.curve(spec)
    fig = schedule_figure([Trace("lr", np.arange(spec.total_steps), lr)], phases=phase_spans(spec), log_y=True)
    y = np.asarray(fig.data[0].y)
    assert len(y) <= MAX_POINTS and len(fig.data[0].x) == len(y)
    assert y.max() == lr.max() and y.min() == lr.min()
    assert np.all(np.diff(np.asarray(fig.data[0].x)) > 0)


def test_names_are_shown_as_plain_text():
    spec = load_preset("bert")
    fig = schedule_figure([trace_of(spec, "<b>x</b>")])
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize("preset", ["one_cycle", "resnet50_step", "sgdr", "minicpm_wsd"])
@pytest.mark.parametrize("log_y", [False, True])
def test_figures_pass_plotlys_own_validation(preset: str, log_y: bool):
    """The factory skips plotly's validators for speed; every key it writes must still be valid."""
    import plotly.graph_objects as go

    spec = load_preset(preset)
    momentum = None
    if spec.momentum is not None:
        momentum = Trace("momentum", np.arange(spec.total_steps), schedules.momentum_curve(spec))
    x_axis = "epoch" if spec.steps_per_epoch else "step"
    fig = schedule_figure([trace_of(spec, "a"), trace_of(spec, "b", "dash")], phases=phase_spans(spec),
                          log_y=log_y, x_axis=x_axis, steps_per_epoch=spec.steps_per_epoch, momentum=momentum,
                          title="t")
    checked = go.Figure(fig.to_dict())  # raises ValueError on any unknown key or bad value
    assert checked.to_plotly_json()["layout"]["shapes"] == fig.to_plotly_json()["layout"]["shapes"]
    assert len(checked.data) == len(fig.data) and checked.layout.title.text == "t"


def _label_boxes(fig) -> list[tuple[float, float, float]]:
    """Each phase label's (x start, x end, row y) as fractions of the x range, from the width estimate."""
    from ui.common.figures import LABEL_CHAR_WIDTH

    xs = fig.layout.xaxis.range or (0, max(s.x1 for s in fig.layout.shapes))
    span = xs[1] - xs[0]
    return [((a.x - xs[0]) / span, (a.x - xs[0]) / span + (len(a.text) + 1) * LABEL_CHAR_WIDTH, a.y)
            for a in fig.layout.annotations]


@pytest.mark.parametrize("warmup", [1, 10, 100, 1000, 2500])
def test_phase_labels_never_overlap_even_with_short_phases(warmup: int):
    spec = load_spec({"total_steps": 100_000, "lr": 1.0, "warmup": {"steps": warmup},
                      "schedule": {"type": "wsd", "decay_steps": 3000}})
    fig = schedule_figure([trace_of(spec)], phases=phase_spans(spec))
    boxes = _label_boxes(fig)
    assert [a.text for a in fig.layout.annotations] == ["warmup", "stable", "decay"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] != b[2] or a[1] <= b[0] or b[1] <= a[0], (a, b)


def test_many_short_cycles_drop_labels_rather_than_overlap():
    spec = load_spec({"total_steps": 100_000, "lr": 1.0, "warmup": {"steps": 100},
                      "schedule": {"type": "cyclic", "step_size": 500}})
    fig = schedule_figure([trace_of(spec)], phases=phase_spans(spec))
    boxes = _label_boxes(fig)
    assert 3 <= len(boxes) < len(fig.layout.shapes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] != b[2] or a[1] <= b[0] or b[1] <= a[0], (a, b)


def test_closeup_range_clips_phases_and_fills_the_gap():
    spec = load_preset("gpt_cosine")
    twin = Trace("twin", np.arange(6000), schedules.curve(spec.replace(warmup={"steps": 0}), np.arange(6000)),
                 dash="dash", fill_to_previous=True)
    fig = schedule_figure([Trace("lr", np.arange(6000), schedules.curve(spec, np.arange(6000))), twin],
                          phases=phase_spans(spec), x_range=(0, 6000))
    assert list(fig.layout.xaxis.range) == [0, 5999]
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(0, 2000), (2000, 6000)]
    assert fig.data[1].fill == "tonexty" and fig.data[1].fillcolor.startswith("rgba(") and fig.data[0].fill is None
    assert [a.text for a in fig.layout.annotations] == ["warmup", "decay"]


def test_the_close_up_stacks_under_the_main_chart_in_one_figure():
    spec = load_preset("gpt_cosine")
    twin_spec = spec.replace(warmup={"steps": 0})
    steps = np.arange(6000)
    main = figure_dict([trace_of(spec, "schedule"), trace_of(twin_spec, "no warmup", "dash")],
                       phases=phase_spans(spec), log_y=True)
    closeup = figure_dict([Trace("schedule", steps, schedules.curve(spec, steps)),
                           Trace("no warmup", steps, schedules.curve(twin_spec, steps), dash="dash",
                                 fill_to_previous=True)],
                          phases=phase_spans(spec), log_y=True, x_range=(0, 6000))
    fig = go.Figure(with_closeup(main, closeup, "<b>Warmup close-up</b>"))  # plotly's validators accept it
    assert [(t.xaxis or "x", t.yaxis) for t in fig.data] == [("x", "y")] * 2 + [("x2", "y3")] * 2
    assert [t.showlegend for t in fig.data] == [None, None, False, False]  # one legend entry per curve
    assert [t.legendgroup for t in fig.data] == ["schedule", "no warmup"] * 2  # hides it in both plots
    lo, hi = fig.layout.yaxis3.domain
    assert lo == 0 and hi < fig.layout.yaxis.domain[0] and fig.layout.yaxis.domain[1] == 1
    assert fig.layout.yaxis3.type == fig.layout.yaxis.type == "log" and fig.layout.yaxis3.anchor == "x2"
    assert list(fig.layout.xaxis2.range) == [0, 5999] and fig.layout.xaxis.range is None
    # Each plot's phases shaded and labeled in its own domain.
    assert [(s.xref, s.yref, s.x1) for s in fig.layout.shapes] == [
        ("x", "y domain", 2000), ("x", "y domain", spec.total_steps), ("x2", "y3 domain", 2000),
        ("x2", "y3 domain", 6000)]
    assert [(a.xref, a.yref, a.text) for a in fig.layout.annotations] == [
        ("x", "y domain", "warmup"), ("x", "y domain", "decay"), ("x2", "y3 domain", "warmup"),
        ("x2", "y3 domain", "decay"), ("paper", "paper", "<b>Warmup close-up</b>")]
