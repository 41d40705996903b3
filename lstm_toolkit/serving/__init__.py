"""Running a fitted model outside training: streaming, NumPy kernels and export.

- `streaming`: one new observation in, the next forecasts out (`WindowStreamer`, state carried between calls);
- `kernels`: NumPy forward passes of Keras recurrent cells and Dense layers, from a model's own weights;
- `export`: LiteRT (devices) and TensorFlow SavedModel (serving) exports of a fitted Forecaster.
"""
