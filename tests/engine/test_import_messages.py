"""Files that train nothing, or whose trainer's lr is not one spec curve, get one line saying what they are."""

from __future__ import annotations

import pytest

from schedules import SpecError
from schedules.imports import import_config

ULTRALYTICS = """\
task: detect
mode: train
model: yolov8n.pt
data: coco8.yaml
epochs: 100
batch: 16
imgsz: 640
optimizer: auto
cos_lr: false
lr0: 0.01
lrf: 0.01
momentum: 0.937
weight_decay: 0.0005
warmup_epochs: 3.0
warmup_momentum: 0.8
warmup_bias_lr: 0.1
box: 7.5
cls: 0.5
dfl: 1.5
nbs: 64
hsv_h: 0.015
fliplr: 0.5
mosaic: 1.0
close_mosaic: 10
"""
NANOGPT_EVAL = "batch_size = 8\neval_iters = 500\neval_only = True\nwandb_log = False\ninit_from = 'gpt2'\n"
TORCHTUNE_GENERATION = """\
model:
  _component_: torchtune.models.llama2.llama2_7b
checkpointer:
  _component_: torchtune.training.FullModelHFCheckpointer
  checkpoint_dir: /tmp/model
device: cuda
prompt:
  user: "Tell me a joke."
max_new_tokens: 300
"""
TORCHTUNE_EVAL = """\
model:
  _component_: torchtune.models.llama2.llama2_7b
tasks: ["truthfulqa_mc2"]
limit: null
quantizer: null
"""
LLAMAFACTORY_MERGE = (
    "model_name_or_path: base\nadapter_name_or_path: saves/lora\ntemplate: llama3\n"
    "finetuning_type: lora\nexport_dir: output/merged\nexport_size: 5\n"
)
LLAMAFACTORY_INFER = "model_name_or_path: base\ntemplate: llama3\ninfer_backend: huggingface\n"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        (
            ULTRALYTICS,
            "config: is an Ultralytics args.yaml (lr0 = 0.01, lrf = 0.01, cos_lr = False, warmup_epochs = 3.0)",
        ),
        (NANOGPT_EVAL, "eval_only: this is a nanoGPT evaluation config"),
        (TORCHTUNE_GENERATION, "config: is a torchtune generation config (no optimizer)"),
        (TORCHTUNE_EVAL, "config: is a torchtune evaluation config (no optimizer)"),
        (LLAMAFACTORY_MERGE, "config: is a LLaMA-Factory export/merge config"),
        (LLAMAFACTORY_INFER, "config: is a LLaMA-Factory inference config"),
    ],
)
def test_non_training_files_say_what_they_are(text: str, start: str) -> None:
    with pytest.raises(SpecError) as info:
        import_config(text, dataset_size=1000, total_steps=100)
    assert str(info.value).startswith(start) and "\n" not in str(info.value)
