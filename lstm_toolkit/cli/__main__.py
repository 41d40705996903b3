"""`python -m lstm_toolkit.cli`: the `lstm-toolkit` command."""

import sys

from lstm_toolkit.cli import main

sys.exit(main())
