// The process-wide RunTracer slot (braid/trace.h). The executor reads it once per request.
#include "braid/trace.h"

#include <atomic>

namespace braid {
namespace {
std::atomic<RunTracer*> g_tracer{nullptr};
}  // namespace

// Release/acquire: a request that sees the tracer also sees the writes that built it.
void set_run_tracer(RunTracer* tracer) noexcept { g_tracer.store(tracer, std::memory_order_release); }
RunTracer* run_tracer() noexcept { return g_tracer.load(std::memory_order_acquire); }

}  // namespace braid
