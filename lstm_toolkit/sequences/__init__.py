"""Estimators of whole sequences, one module each, on the base they share.

- `estimator`: `SequenceEstimator`, what they share (parameters, label encoding, training, the bundle);
- `classifier`: `SequenceClassifier`, one label per sequence;
- `labeller`: `SequenceLabeller`, one label per step;
- `anomaly`: `AnomalyDetector`, per-step anomaly scores from forecast or reconstruction errors;
- `signals`: what the detector reads and is compared with (a checked signal, its main cycle, the baselines).
"""
