"""Ways to run the LSTM recurrence in TensorFlow on a CPU, timed side by side (issue 32's levers).

The tutorial model (LSTM 128 -> LSTM 64 -> Dense 32 -> Dense 1, lookback 60, batch 32, random data,
Adam + clipnorm, plain `model.fit`) with its recurrent layers run four ways, each in a process of its
own, with TensorFlow's oneDNN kernels off and on (TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once):

- `keras`: `keras.layers.LSTM` (on CPU, Keras' generic loop: per step the input and recurrent products);
- `unroll`: the same with `unroll=True` (no loop: one graph node per step and gate);
- `unroll_xla`: that with `jit_compile=True` (XLA fuses the unrolled steps' element-wise ops);
- `projected`: an LSTM subclass with a hand-written gradient (`tf.custom_gradient`): the input
  projection of every step in one product before the loop (as cuDNN does), the gates kept for the
  backward loop, whose only product is `dz @ R^T`; the weight gradients are two products after it;
- `projected_xla`: the same with `jit_compile=True`.

The variants agree with Keras' layer (forward and gradients, checked here to 1e-5) and keep its
weights. None is adopted: once oneDNN is on, all end at the same rate (`README.md` here, "Where
training time goes on a CPU").

Run: python benchmarks/recurrence_variants.py [--rounds 2] [--variants keras unroll_xla]
"""

import argparse
import functools
import json
import os
import subprocess
import sys
import time

VARIANTS = ("keras", "unroll", "unroll_xla", "projected", "projected_xla")


def projected_lstm(x, h0, c0, kernel, recurrent_kernel, bias):
    """LSTM over x (batch, time, features) in Keras' gate order i, f, c, o: (all h (time, batch, units), h, c)."""
    import tensorflow as tf

    @tf.custom_gradient
    def run(x, h0, c0, kernel, recurrent_kernel, bias):
        steps = tf.shape(x)[1]
        inputs = tf.transpose(x, [1, 0, 2])
        projected = tf.einsum("tbf,fg->tbg", inputs, kernel) + bias
        arrays = [tf.TensorArray(x.dtype, size=steps) for _ in range(3)]

        def body(t, h, c, hs, cs, gates):
            z = projected[t] + tf.matmul(h, recurrent_kernel)
            z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
            i, f, g, o = tf.sigmoid(z_i), tf.sigmoid(z_f), tf.tanh(z_c), tf.sigmoid(z_o)
            c = f * c + i * g
            h = o * tf.tanh(c)
            return t + 1, h, c, hs.write(t, h), cs.write(t, c), gates.write(t, tf.concat([i, f, g, o], -1))

        _, h, c, hs, cs, gates = tf.while_loop(lambda t, *_: t < steps, body, (0, h0, c0, *arrays))
        all_h, all_c, all_gates = hs.stack(), cs.stack(), gates.stack()

        def grad(d_all_h, d_h, d_c):
            previous_h = tf.concat([h0[None], all_h[:-1]], 0)
            previous_c = tf.concat([c0[None], all_c[:-1]], 0)
            transposed = tf.transpose(recurrent_kernel)

            def back(t, dh_next, dc_next, dzs):
                i, f, g, o = tf.split(all_gates[t], 4, axis=-1)
                tanh_c = tf.tanh(all_c[t])
                dh = d_all_h[t] + dh_next
                dc = dc_next + dh * o * (1 - tanh_c * tanh_c)
                dz = tf.concat([dc * g * i * (1 - i), dc * previous_c[t] * f * (1 - f), dc * i * (1 - g * g),
                                dh * tanh_c * o * (1 - o)], -1)
                return t - 1, tf.matmul(dz, transposed), dc * f, dzs.write(t, dz)

            _, dh0, dc0, dzs = tf.while_loop(lambda t, *_: t >= 0, back,
                                             (steps - 1, d_h, d_c, tf.TensorArray(x.dtype, size=steps)))
            dz = dzs.stack()
            return (tf.transpose(tf.einsum("tbg,fg->tbf", dz, kernel), [1, 0, 2]), dh0, dc0,
                    tf.einsum("tbf,tbg->fg", inputs, dz), tf.einsum("tbu,tbg->ug", previous_h, dz),
                    tf.reduce_sum(dz, [0, 1]))

        return (all_h, h, c), grad

    return run(x, h0, c0, tf.convert_to_tensor(kernel), tf.convert_to_tensor(recurrent_kernel), tf.convert_to_tensor(bias))


def layer_class(variant):
    import keras

    if variant.startswith("unroll"):
        return functools.partial(keras.layers.LSTM, unroll=True)
    if variant.startswith("projected"):
        import tensorflow as tf

        class ProjectedLSTM(keras.layers.LSTM):
            def inner_loop(self, sequences, initial_state, mask, training=False):
                cell = self.cell
                all_h, h, c = projected_lstm(sequences, initial_state[0], initial_state[1], cell.kernel,
                                             cell.recurrent_kernel, cell.bias)
                return h, (tf.transpose(all_h, [1, 0, 2]) if self.return_sequences else h), [h, c]

        return ProjectedLSTM
    return keras.layers.LSTM


def check_equal(variant):
    """Largest difference to Keras' LSTM (outputs and gradients), same weights."""
    import numpy as np
    import tensorflow as tf
    import keras

    x = np.random.default_rng(1).normal(size=(8, 30, 3)).astype("float32")
    reference = keras.layers.LSTM(16, return_sequences=True)
    other = layer_class(variant)(16, return_sequences=True)
    reference.build((None, 30, 3))
    other.build((None, 30, 3))
    other.set_weights(reference.get_weights())
    with tf.GradientTape(persistent=True) as tape:
        a, b = reference(x), other(x)
        loss_a, loss_b = tf.reduce_sum(a**2), tf.reduce_sum(b**2)
    grads = zip(tape.gradient(loss_a, reference.trainable_weights), tape.gradient(loss_b, other.trainable_weights))
    return max([float(tf.reduce_max(tf.abs(a - b)))] + [float(tf.reduce_max(tf.abs(g - h))) for g, h in grads])


def child(variant, lookback=60, n=1024, epochs=2, batch=32):
    import numpy as np
    import keras

    from lstm_toolkit.backend import onednn_enabled

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, lookback, 1)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    layer = layer_class(variant)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((lookback, 1))
    hidden = layer(64)(layer(128, return_sequences=True)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(32)(hidden)))
    model.compile(keras.optimizers.Adam(clipnorm=1.0), "mse", jit_compile=variant.endswith("xla"))
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)  # tracing
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    rate = n * epochs / (time.perf_counter() - start)
    print(json.dumps({"rate": rate, "difference": check_equal(variant), "onednn": onednn_enabled()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    sys.path.insert(0, os.path.dirname(__file__))
    from _common import machine

    print(f"# LSTM recurrence variants, tutorial model, lookback 60, batch 32 ({machine()})\n")
    variants = args.variants
    rates = {(variant, flag): [] for variant in variants for flag in ("0", "1")}
    differences = {}
    for _ in range(args.rounds):
        for variant in variants:
            for flag in ("0", "1"):
                env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": flag, "TF_CPP_MIN_LOG_LEVEL": "2"}
                result = subprocess.run([sys.executable, __file__, "--child", variant], capture_output=True, text=True,
                                        env=env)
                if result.returncode != 0:
                    raise RuntimeError(result.stderr[-3000:])
                answer = json.loads(result.stdout.strip().splitlines()[-1])
                rates[variant, flag].append(answer["rate"])
                differences[variant] = max(differences.get(variant, 0.0), answer["difference"])
    print("| variant | windows/s, oneDNN off | windows/s, oneDNN on | largest difference to Keras' LSTM |")
    print("|---|---|---|---|")
    for variant in variants:
        cells = [", ".join(f"{r:,.0f}" for r in rates[variant, flag]) for flag in ("0", "1")]
        print(f"| {variant} | {cells[0]} | {cells[1]} | {differences[variant]:.1e} |")
    return None


if __name__ == "__main__":
    main()
