"""Training: compile and fit a Keras model the toolkit's way, truncated BPTT, and training across machines.

- `core`: the `TrainingConfig`, `compile_model` (Adam with `clipnorm`), the
  default callbacks and `fit`; its public names are importable from here.
- `xla`: when XLA and several steps per execution pay for a training's size, and the probe that keeps XLA only
  where it is faster; its public names are importable from here too.
- `tbptt`: truncated back-propagation through time for models that carry their state.
- `distributed`: TensorFlow's multi-worker engine, and backups that survive a lost worker.
"""

from lstm_toolkit.training.core import (
    TrainingConfig,
    build_training_state,
    compile_model,
    default_callbacks,
    fit,
    replay_callbacks,
    seed_weights,
)
from lstm_toolkit.training.xla import (
    PROBE_STEPS,
    STEPS_PER_EXECUTION,
    XLA_MIN_WORK,
    choose_jit_compile,
    planned_compile,
    planned_work,
    resolve_jit_compile,
    resolve_steps_per_execution,
    step_seconds_in_turn,
    xla_pays,
)

__all__ = [
    "PROBE_STEPS",
    "STEPS_PER_EXECUTION",
    "XLA_MIN_WORK",
    "TrainingConfig",
    "build_training_state",
    "choose_jit_compile",
    "compile_model",
    "default_callbacks",
    "fit",
    "planned_compile",
    "planned_work",
    "replay_callbacks",
    "seed_weights",
    "resolve_jit_compile",
    "resolve_steps_per_execution",
    "step_seconds_in_turn",
    "xla_pays",
]
