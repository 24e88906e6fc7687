"""Export a spec as self-contained code or data for a training framework.

``export(spec, target)`` returns the text; each target lives in its own module with a
``render(spec: Spec) -> str`` function. Numbers are emitted as literals and names are sanitized, so no
text from a spec reaches generated code unescaped.
"""

from __future__ import annotations

import importlib
from typing import Any

from schedules.errors import SpecError
from schedules.spec import Spec, load_spec

#: target name -> module under schedules.export that renders it.
TARGETS: dict[str, str] = {
    "torch": "torch_code",
    "transformers": "transformers_code",
    "keras": "keras_code",
    "optax": "optax_code",
    "timm": "timm_code",
    "lightning": "lightning_code",
    "python": "python_code",
    "json": "serial",
    "yaml": "serial",
    # The trainers' own configs (no code): each trainer builds and steps its scheduler itself.
    "hf_args": "hf_args_config",
    "llamafactory": "llamafactory_config",
    "axolotl": "axolotl_config",
    "timm_args": "timm_args_config",
    "lightning_cli": "lightning_cli_config",
    "nanogpt": "nanogpt_config",
}
#: How each target is named to people (the app's target picker, docs).
TARGET_LABELS: dict[str, str] = {
    "torch": "PyTorch", "transformers": "Transformers", "keras": "Keras", "optax": "optax", "timm": "timm",
    "lightning": "Lightning", "python": "Python", "json": "JSON", "yaml": "YAML",
    "hf_args": "TrainingArguments", "llamafactory": "LLaMA-Factory YAML", "axolotl": "axolotl YAML",
    "timm_args": "timm args.yaml", "lightning_cli": "Lightning CLI YAML",
    "nanogpt": "nanoGPT config",
}


def export(spec: Spec | Any, target: str) -> str:
    """The spec rendered for ``target`` (one of :data:`TARGETS`).

    Raises:
        SpecError: invalid spec, unknown target, or a spec the target cannot express exactly.
    """
    if target not in TARGETS:
        raise SpecError("target", "must be one of " + ", ".join(TARGETS), target)
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    module = importlib.import_module(f"schedules.export.{TARGETS[target]}")
    # A target lists the later spec v1 fields it writes exactly (EXTENSIONS); any other is refused by name,
    # never approximated.
    supported = spec.extensions if TARGETS[target] == "serial" else getattr(module, "EXTENSIONS", ())
    unsupported = [name for name in spec.extensions if name not in supported]
    if unsupported:
        raise SpecError(unsupported[0], f"cannot be expressed by the {TARGET_LABELS[target]} export yet; "
                        "export json or yaml")
    if TARGETS[target] == "serial":
        return module.render(spec, target)
    return module.render(spec)
