"""Hostile inputs to the config importer: each is refused in one line naming the field, nothing runs, and
time and memory stay bounded (measured here with tracemalloc; the bounds are generous for a 2-core box
shared with other work). Also the ``python -m schedules import`` command line."""

from __future__ import annotations

import io
import json
import pickle
import time
import tracemalloc
from pathlib import Path

import pytest

from schedules import SpecError
from schedules.cli import main
from schedules.imports import import_config

SENTINEL = Path("/tmp/schedules-import-sentinel")

HOSTILE: dict[str, str | bytes] = {
    "yaml billion laughs": "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                           "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                           "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nlearning_rate: 1e-4\n",
    "yaml python tag": "!!python/object/apply:os.system ['touch /tmp/schedules-import-sentinel']\n",
    "yaml deep flow": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep json": "[" * 100_000 + "]" * 100_000,
    "deep json object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "huge json": '{"learning_rate": 1e-4, "pad": "' + "x" * (9 * 1024 * 1024) + '"}',
    "huge yaml": "learning_rate: 1e-4\npad: " + "x" * (600 * 1024) + "\n",
    "python __import__": "import torch\nlr = __import__('os').system('touch /tmp/schedules-import-sentinel')\n",
    "python attribute trick": "import torch\nx = ().__class__.__bases__[0].__subclasses__()\n",
    "python eval": "import torch\nlr = eval('1e-3')\nopt = torch.optim.SGD(p, lr=lr)\n",
    "python getattr": "import torch\nf = getattr(torch, 'load')\n",
    "python lambda in an argument": "import torch\nopt = torch.optim.SGD(p, lr=0.1)\n"
                                    "s = torch.optim.lr_scheduler.StepLR(opt, step_size=(lambda: 3)())\n",
    "python f-string": "import torch\nopt = torch.optim.SGD(p, lr=f'{1e-3}')\n",
    "python power bomb": "import torch\nopt = torch.optim.SGD(p, lr=10 ** 10 ** 10)\n",
    "python deep nesting": "import torch\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
    "python too many nodes": "import torch\nx = [" + "1," * 30_000 + "]\n",
    "python too large": "import torch\n" + "".join(f"x{i} = {i} + {i}\n" for i in range(12_000)),
    "pickle": pickle.dumps({"learning_rate": 1e-4}),
    "binary": bytes(range(256)) * 64,
    "nul in text": "learning_rate: 1e-4\x00\n",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_refused_in_one_line_bounded(name: str, record_property) -> None:
    SENTINEL.unlink(missing_ok=True)
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        import_config(HOSTILE[name], total_steps=1000)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    record_property("seconds", elapsed)
    record_property("peak_mb", peak / 1e6)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    assert info.value.field in ("config", "spec", "lr_scheduler", "optimizer", "StepLR.step_size", "SGD.lr",
                                "learning_rate", "total_steps", "lr_scheduler_type"), message
    assert not SENTINEL.exists()
    assert elapsed < 5.0, elapsed
    assert peak < 200e6, peak


def test_safe_yaml_still_reads_plain_configs() -> None:
    imported = import_config("learning_rate: 5e-5\nlr_scheduler_type: linear\nmax_steps: 100\n")
    assert imported.format == "hf" and imported.spec.lr == 5e-5


def run_cli(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        import sys

        saved = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            code = main(list(argv), out, err)
        finally:
            sys.stdin = saved
    else:
        code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_import_prints_the_spec(tmp_path) -> None:
    path = tmp_path / "axolotl.yaml"
    path.write_text("base_model: x\nlearning_rate: 2e-4\nmicro_batch_size: 2\nnum_epochs: 1\n")
    code, out, err = run_cli("import", str(path), "--dataset-size", "1000")
    assert code == 0 and err.startswith("detected: axolotl (axolotl YAML)")
    spec = json.loads(out)
    assert spec["total_steps"] == 500 and spec["warmup"]["steps"] == 15


def test_cli_import_to_target_and_errors(tmp_path) -> None:
    path = tmp_path / "args.json"
    path.write_text('{"learning_rate": 1e-4, "max_steps": 200, "warmup_steps": 0.1}')
    code, out, _ = run_cli("import", str(path), "--from", "hf", "--to", "transformers")
    assert code == 0 and "get_scheduler" in out
    code, out, err = run_cli("import", "-", stdin='{"learning_rate": 1e-4, "num_train_epochs": 2}')
    assert code == 2 and not out and err.count("\n") == 1 and "dataset_size" in err
    code, _, err = run_cli("import", str(tmp_path / "missing.yaml"))
    assert code == 2 and err.startswith("error: file:")
    blob = tmp_path / "training_args.bin"
    blob.write_bytes(pickle.dumps({"a": 1}))
    code, _, err = run_cli("import", str(blob))
    assert code == 2 and "pickle" in err
