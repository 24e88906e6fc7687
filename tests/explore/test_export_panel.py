"""The export panel in a real Streamlit script run (AppTest): every target's code for every preset."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import schedules
from schedules import SpecError
from schedules.export import TARGET_LABELS, TARGETS, export
from ui.explore.export_panel import timm_verified


def _app(names: list[str]) -> None:
    import schedules as s
    from ui.explore.export_panel import render_export_panel

    render_export_panel({n: s.load_preset(n) for n in names}, key="exp")


def shown(at: AppTest, target: str, index: int | None = None) -> AppTest:
    """Pick ``target`` (and the ``index``-th schedule) and rerun."""
    at.button_group(key="exp-target").set_value(target)
    if index is not None:
        at.selectbox(key="exp-spec").select_index(index)
    at.run()
    assert not at.exception
    return at


def expected(name: str, target: str) -> tuple[str | None, str | None]:
    """The code block (st.code drops the final newline) or the info line the panel must show."""
    try:
        return export(schedules.load_preset(name), target).rstrip("\n"), None
    except SpecError as exc:
        return None, f"{TARGET_LABELS[target]} cannot express this schedule: {exc}"


@pytest.mark.parametrize("name", schedules.preset_names())
def test_every_target_for_every_preset(name: str) -> None:
    at = AppTest.from_function(_app, args=([name],), default_timeout=120).run()
    assert not at.exception
    assert at.button_group(key="exp-target").value is None  # no code until a target is picked
    assert not at.code and not at.get("download_button") and "Pick a framework" in at.caption[0].value
    assert list(at.button_group(key="exp-target").options) == [TARGET_LABELS[t] for t in TARGETS]
    assert not at.selectbox  # one schedule: no schedule picker
    for target in TARGETS:
        shown(at, target)
        code, error = expected(name, target)
        assert [c.value for c in at.code] == ([code] if code is not None else [])
        assert [e.value.replace("\\", "") for e in at.info] == ([error] if error is not None else [])
        downloads = at.get("download_button")
        assert len(downloads) == (1 if code is not None else 0)


def test_comparison_set_picks_the_schedule() -> None:
    names = ["bert", "sgdr", "one_cycle"]
    at = AppTest.from_function(_app, args=(names,), default_timeout=120).run()
    assert not at.exception
    assert at.selectbox(key="exp-spec").options == names
    for index, name in enumerate(names):
        for target in ("torch", "optax", "json"):
            shown(at, target, index)
            code, _ = expected(name, target)
            assert [c.value for c in at.code] == [code]


def test_timm_caption_follows_the_exporter() -> None:
    at = shown(AppTest.from_function(_app, args=(["bert"],), default_timeout=120).run(), "timm")
    assert [c.value for c in at.caption] == ["timm output: " + ("verified against timm" if timm_verified()
                                                                 else "unverified")]
    assert not shown(at, "torch").caption
    at.button_group(key="exp-target").set_value(None).run()  # deselecting hides the code again
    assert not at.exception and not at.code


def test_trainer_configs_show_as_their_format() -> None:
    """The trainers' own configs: YAML ones as YAML with a .yaml download, refusals as one info line."""
    at = AppTest.from_function(_app, args=(["bert"],), default_timeout=120).run()
    for target, language in (("llamafactory", "yaml"), ("axolotl", "yaml"), ("hf_args", "python")):
        shown(at, target)
        assert [c.language for c in at.code] == [language]
        assert "# spec v1: " in at.code[0].value and not at.info
        assert at.get("download_button")[0].proto.label == f"Download .{'yaml' if language == 'yaml' else 'py'}"
    for target in ("timm_args", "lightning_cli", "nanogpt"):
        shown(at, target)  # bert's warmup is not a whole epoch / not per-epoch / starts at 0: refused
        assert not at.code and len(at.info) == 1
        assert at.info[0].value.startswith(f"{TARGET_LABELS[target]} cannot express this schedule: ")
        assert "code export runs this spec exactly" in at.info[0].value
