# SPDX-License-Identifier: MIT
"""makeStatistics, StatisticsControl and statisticsStack with lsst.afw.math's names."""

from ._skystack.math import *  # noqa: F401,F403
from ._skystack.math import Property, Statistics, StatisticsControl, makeStatistics, statisticsStack  # noqa: F401
from ._skystack.math import stringToStatisticsProperty  # noqa: F401
