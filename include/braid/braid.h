// Umbrella header: everything an embedder needs.
#pragma once

#include "braid/custom_op.h"
#include "braid/host_graph.h"
#include "braid/log.h"
#include "braid/options.h"
#include "braid/precision.h"
#include "braid/resource.h"
#include "braid/runtime.h"
#include "braid/session.h"
#include "braid/status.h"
#include "braid/tensor.h"
#include "braid/trace.h"
#include "braid/version.h"
