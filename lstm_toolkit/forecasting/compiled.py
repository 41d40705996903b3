"""One traced training step for the trainings of one `fit`: a compiled model is reused where only its weights differ.

A short series' `fit` trains up to six networks of the same form: the
early-stopped selection run, a network at each rolling origin and the refit
(and the level network's own). Keras traces a new model's training step
before its first batch, about 0.6 s on 2 CPU cores, which was over a third of
such a fit. The networks differ only in their weights and in the window
normalisation's scales, fit on each one's rows, which are non-trainable
variables of the layer (`models.WindowNormalization`). So `CompiledModels`
keeps each compiled model of a `fit` under its form (`form_key`: the model's
architecture with its layers' names and scales left out, and the compile
arguments). Once a model is no longer read, a later training of the same form
takes the fresh model's variables (its initial weights and scales, drawn as
before) into it, starts its optimizer afresh and trains it: the same forecasts,
fewer traces. The selection run's model, read again after the rolling origins,
is `lent` to them; and the later trainings take the compile choices the
selection run `settled` on (XLA or not, steps per execution), where their own
smaller trainings would have planned others. So all of a fit's trainings of one
form trace one step, and XLA is probed once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json

from lstm_toolkit.backend import keras
from lstm_toolkit.training import planned_compile

# Left out of a form: the window normalisation's scales (variables) and, once compiled, the compile arguments
# (`form_key` takes those apart).
LEFT_OUT = ("input_scale", "delta_scale", "compile_config")


class CompiledModels:
    """The compiled models of one `fit`: those in use, and those released for a later training of their form.

    A model `take` hands out is the caller's until it `release`s it: a model
    whose weights are still read (the selection run's, until the refit starts)
    is never handed out again, unless it is `lent` for a while and put back as
    it was. `adopt` records a newly compiled model as in use.

    Example:
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> from lstm_toolkit.training import TrainingConfig, compile_model
    >>> compiled, config = CompiledModels(), TrainingConfig()
    >>> first = build_model(ModelConfig(units=(4,)), lookback=3, n_features=1)
    >>> compiled.adopt(first, compile_model(first, config), config)
    >>> compiled.take(build_model(ModelConfig(units=(4,)), lookback=3, n_features=1), config, n_samples=8) is None  # in use
    True
    >>> compiled.release(first)
    >>> compiled.take(build_model(ModelConfig(units=(4,)), lookback=3, n_features=1), config, n_samples=8)[0] is first
    True
    """

    def __init__(self):
        self._forms = {}  # id(model) -> (model, trainable, the config it was compiled with)
        self._free = {}  # form -> [(model, trainable)]

    def adopt(self, model, trainable, config):
        """Records the newly compiled `trainable` (the training form of `model`, compiled from `config`) as in use.
        What its compile arguments resolved to is read from `trainable` itself when it is released, after any XLA
        probe of its training changed them."""
        self._forms[id(model)] = (model, trainable, config)

    def release(self, model):
        """`model` is no longer read: a later training of its form may take it. A model not adopted here is ignored.

        Its form is taken now: the compile choices its training settled on (`settled`), not those first planned."""
        kept = self._forms.get(id(model))
        if kept is not None and kept[0] is model:
            free = self._free.setdefault(self._form(kept), [])
            if all(other is not model for other, _ in free):  # released twice: still one free model
                free.append(kept[:2])

    def settled(self, model, config):
        """`config` with the compile choices `model`'s training settled on: whether XLA compiles its step (after
        `jit_compile="auto"`'s probe) and its steps per execution. A fit's later trainings (the rolling origins,
        the refit) take them, so they train in its compiled model and probe XLA no more. `config` as it is for a
        model not adopted here."""
        kept = self._forms.get(id(model))
        if kept is None or kept[0] is not model:
            return config
        trainable = kept[1]
        return dataclasses.replace(config, jit_compile=bool(trainable.jit_compile),
                                   steps_per_execution=int(trainable.steps_per_execution))

    @contextlib.contextmanager
    def lent(self, model):
        """Lends `model`, which is read again afterwards, to the trainings of the block; gives it back as it was.

        The selection run's model is read once the rolling origins have
        trained (its verdict, its ridge check), so the origins train in it:
        its variables and its optimizer's are kept aside for the block,
        then put back, and it is in use again. A model not adopted here is
        not lent.
        """
        kept = self._forms.get(id(model))
        if kept is None or kept[0] is not model:
            yield
            return
        variables = [*model.variables, *kept[1].optimizer.variables]
        values = [variable.numpy() for variable in variables]  # not np.array(variable), whose __array__ NumPy 2 deprecates
        form = self._form(kept)
        self.release(model)
        try:
            yield
        finally:
            free = self._free.get(form, [])
            free[:] = [entry for entry in free if entry[0] is not model]  # the caller's again
            for variable, value in zip(variables, values):
                variable.assign(value)

    def take(self, fresh, config, n_samples):
        """`(model, trainable)`: a released compiled model of `fresh`'s form, now in use again, holding `fresh`'s
        variables (its initial weights and scales) and a new optimizer state; None where none is free."""
        free = self._free.get(form_key(fresh, config, *planned_compile(config, n_samples)))
        while free:
            model, trainable = free.pop()
            targets, sources = model.variables, fresh.variables
            if len(targets) != len(sources) or any(t.shape != s.shape for t, s in zip(targets, sources)):
                continue
            for target, source in zip(targets, sources):
                target.assign(source)
            restart_optimizer(trainable.optimizer, config.learning_rate)
            self._forms[id(model)] = (model, trainable, config)
            return model, trainable
        return None

    @staticmethod
    def _form(kept):
        model, trainable, config = kept
        return form_key(model, config, trainable.jit_compile, trainable.steps_per_execution)


def restart_optimizer(optimizer, learning_rate):
    """Puts a built optimizer back where a new one starts: no steps taken, empty moments, the initial learning rate."""
    for variable in optimizer.variables:
        variable.assign(keras.ops.zeros(variable.shape, dtype=variable.dtype))
    optimizer.learning_rate = learning_rate


def form_key(model, config, jit_compile, steps_per_execution):
    """What a compiled training step depends on: `model`'s architecture (its layers' names, which Keras numbers per
    process, and the window normalisation's scales left out), `config`'s optimizer and loss, and the compile
    choices it is to train with (a compiled model's own, or a new one's `config` resolved)."""
    architecture = json.loads(model.to_json())
    layers = architecture["config"]["layers"]
    names = {layer["config"]["name"]: f"layer{index}" for index, layer in enumerate(layers)}
    names[architecture["config"]["name"]] = "model"
    compiled = [config.learning_rate, config.clipnorm, config.loss, str(jit_compile), int(steps_per_execution)]
    return json.dumps([_canonical(architecture, names), compiled], sort_keys=True)


def _canonical(value, names):
    if isinstance(value, dict):
        return {key: _canonical(item, names) for key, item in value.items() if key not in LEFT_OUT}
    if isinstance(value, list):
        return [_canonical(item, names) for item in value]
    return names.get(value, value) if isinstance(value, str) else value
