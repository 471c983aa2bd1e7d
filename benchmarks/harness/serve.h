// braid-bench --serve: a long-lived process that loads models and times blocks of runs on
// request, so a peer comparison can alternate Braid and another runtime block by block
// without paying process start-up and model load for every block (benchmarks/peer/).
//
//   stdin                                  stdout
//   load ID MODE INPUT_DIR MODEL.onnx      ok ID | err MESSAGE
//   run ID WARMUP ITERS                    ok NUMEL SUM SUM_ABS MS_1 ... MS_ITERS | err MESSAGE
//   quit
//
// Input k of a model is read from INPUT_DIR/in<k>.bin (raw little-endian elements of the
// input's dtype, row-major; a dynamic dim is 1). SUM and SUM_ABS cover every f32 element of
// every output, so the caller can check that two runtimes computed the same thing.
// Every session shares one Runtime of --threads threads (0: all cores), so a session never
// uses more cores than that, whatever its mode. --graph-optimization applies to every load.
#pragma once

#include "bench_options.h"

namespace braid::bench {

// Serves requests until "quit" or end of input; returns the process exit code.
int serve_main(const BenchOptions& options);

}  // namespace braid::bench
