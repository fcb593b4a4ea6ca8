// Training diagnostics: see why a network does not learn.
//   diagnostics/anomaly.hpp   DetectAnomaly: the first NaN/Inf names its op
#pragma once

#include "xgrad/diagnostics/anomaly.hpp"
