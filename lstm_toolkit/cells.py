"""The peephole LSTM now lives in `lstm_toolkit.models.cells`; this module keeps the old import path working."""

from lstm_toolkit.models.cells import PeepholeLSTM, PeepholeLSTMCell

__all__ = ["PeepholeLSTM", "PeepholeLSTMCell"]
