"""Every Keras layer and model builder of the toolkit: configs, cells, normalisation layers, architectures.

One module per concern: `config` (ModelConfig), `cells` (the peephole LSTM),
`normalization` (window-relative normalisation layers and their scales),
`recurrent` (the one recurrent-stack builder, the dense head and the decoders' learned queries), `distribution`
(probabilistic heads), `forecast_networks` (window and stateful forecasting models), `corrections` (what a
window forecaster adds to its reference: zeroed, or blended with a linear model), `segment`
(segment-wise recurrence for long windows, SegRNN),
`ensemble` (seed ensembles in one model), `fcn` (LSTM-FCN and FCN classifiers), `rocket` (MiniRocket
features and their ridge head), `sequences` (recurrent classifiers and
labellers, autoencoders, ConvLSTM). Nothing here reads data: builders take shapes and
fitted scales, and the estimators above feed them.
"""

from lstm_toolkit.models.cells import PeepholeLSTM, PeepholeLSTMCell
from lstm_toolkit.models.config import (
    ARCHITECTURES,
    ATTENTIONS,
    CELLS,
    CLASSIFIER_ARCHITECTURES,
    ROCKET_ARCHITECTURES,
    SEGMENT_FROM_LOOKBACK,
    STATE_PARTS,
    FCNConfig,
    ModelConfig,
    SegmentConfig,
)
from lstm_toolkit.models.corrections import blend_correction, correction_inputs, correction_parts, forecast_reference_only
from lstm_toolkit.models.ensemble import MemberMedian, ensemble_model, members_model
from lstm_toolkit.models.fcn import build_fcn_classifier
from lstm_toolkit.models.forecast_networks import (
    SEQUENCE_NORMS,
    LearnedQueries,
    build_model,
    build_sequence_model,
    check_member_lookbacks,
    check_streamable,
    state_names,
    state_sizes,
)
from lstm_toolkit.models.denormalization import LastValueResidual, WindowDenormalization
from lstm_toolkit.models.normalization import (
    REFERENCE_FORECASTS,
    REFERENCE_NORMS,
    SEASONAL_NORMS,
    WINDOW_NORMS,
    WindowNormalization,
    check_reference_fits,
    check_window_norm,
    reference_fits,
    reference_forecast,
    window_norm_scales,
)
from lstm_toolkit.models.rocket import MiniRocketFeatures, build_minirocket_classifier, fit_minirocket
from lstm_toolkit.models.recurrent import dense_head, recurrent_stack, warn_if_not_cudnn
from lstm_toolkit.models.segment import SEGMENT_DECODERS, resolve_segment_length
from lstm_toolkit.models.smoothing import DEFAULT_SMOOTHING, SMOOTHING_GRID, damped_weights
from lstm_toolkit.models.sequences import build_autoencoder, build_convlstm_model, build_sequence_classifier

__all__ = [
    "DEFAULT_SMOOTHING",
    "SMOOTHING_GRID",
    "damped_weights",
    "MemberMedian",
    "SEGMENT_DECODERS",
    "SEGMENT_FROM_LOOKBACK",
    "ensemble_model",
    "members_model",
    "resolve_segment_length",
    "ARCHITECTURES",
    "ATTENTIONS",
    "CELLS",
    "CLASSIFIER_ARCHITECTURES",
    "ROCKET_ARCHITECTURES",
    "MiniRocketFeatures",
    "build_minirocket_classifier",
    "fit_minirocket",
    "STATE_PARTS",
    "REFERENCE_FORECASTS",
    "REFERENCE_NORMS",
    "SEASONAL_NORMS",
    "SEQUENCE_NORMS",
    "WINDOW_NORMS",
    "LastValueResidual",
    "LearnedQueries",
    "FCNConfig",
    "ModelConfig",
    "SegmentConfig",
    "PeepholeLSTM",
    "PeepholeLSTMCell",
    "WindowDenormalization",
    "WindowNormalization",
    "build_autoencoder",
    "build_convlstm_model",
    "build_fcn_classifier",
    "build_model",
    "build_sequence_classifier",
    "build_sequence_model",
    "check_streamable",
    "check_reference_fits",
    "check_window_norm",
    "dense_head",
    "forecast_reference_only",
    "blend_correction",
    "correction_inputs",
    "correction_parts",
    "check_member_lookbacks",
    "recurrent_stack",
    "reference_fits",
    "reference_forecast",
    "state_names",
    "state_sizes",
    "warn_if_not_cudnn",
    "window_norm_scales",
]
