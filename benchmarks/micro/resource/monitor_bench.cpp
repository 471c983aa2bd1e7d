// ResourceMonitor micro-benchmarks: what one sample costs the sampler thread (per source
// and all default sources together) and what a reader pays for current(), alone and
// with many readers while the sampler publishes every 1 ms.
//
//   build/.../braid_resource_bench --benchmark_filter=Sample
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "braid/fake_resource_source.h"
#include "braid/resource.h"
#include "resource/cgroup_memory_source.h"
#include "resource/cpu_quota_source.h"
#include "resource/meminfo_source.h"
#include "resource/proc_stat_source.h"
#include "resource/psi_source.h"
#include "resource/text_file.h"

namespace {

using braid::ResourceMonitor;
using braid::ResourceVector;

// One full sample with the default sources of this machine (what the sampler thread does
// every period). CPU time per sample x samples per second = the sampler's overhead.
void BM_SampleDefaultSources(benchmark::State& state) {
  ResourceMonitor::Options o;
  o.calibrate = false;
  ResourceMonitor m(o);
  for (auto _ : state) benchmark::DoNotOptimize(m.sample_now());
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SampleDefaultSources)->MeasureProcessCPUTime()->UseRealTime();

template <class Source>
void sample_source(benchmark::State& state, Source& source) {
  for (auto _ : state) {
    ResourceVector v;
    benchmark::DoNotOptimize(source.sample(v));
  }
}

void BM_SampleProcStat(benchmark::State& state) {
  braid::detail::ProcStatSource s;
  sample_source(state, s);
}
BENCHMARK(BM_SampleProcStat);

void BM_SampleCpuQuota(benchmark::State& state) {
  braid::detail::CpuQuotaSourceOptions o;
  o.refresh_every_samples = static_cast<int>(state.range(0));
  braid::detail::CpuQuotaSource s(o);
  sample_source(state, s);
}
BENCHMARK(BM_SampleCpuQuota)->Arg(1)->Arg(100);

void BM_SampleMemInfo(benchmark::State& state) {
  braid::detail::MemInfoSource s;
  sample_source(state, s);
}
BENCHMARK(BM_SampleMemInfo);

void BM_SampleCgroupMemory(benchmark::State& state) {
  braid::detail::CgroupMemorySourceOptions o;
  o.refresh_every_samples = static_cast<int>(state.range(0));
  braid::detail::CgroupMemorySource s(o);
  sample_source(state, s);
}
BENCHMARK(BM_SampleCgroupMemory)->Arg(1)->Arg(100);

void BM_SamplePsiCpu(benchmark::State& state) {
  braid::detail::PsiSource s("", braid::detail::PsiResource::kCpu);
  sample_source(state, s);
}
BENCHMARK(BM_SamplePsiCpu);

void BM_ParseProcStat(benchmark::State& state) {
  auto text = braid::detail::read_whole_file("/proc/stat");
  if (!text.ok()) {
    state.SkipWithError("no /proc/stat");
    return;
  }
  braid::detail::ProcStat parsed;
  for (auto _ : state) benchmark::DoNotOptimize(braid::detail::parse_proc_stat(*text, parsed));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text->size()));
}
BENCHMARK(BM_ParseProcStat);

// Readers' cost of current() while the sampler publishes every millisecond (a 1.3 KB
// snapshot copied out of the seqlock): bytes/s is the copy bandwidth.
ResourceMonitor& busy_monitor() {
  static ResourceMonitor* m = [] {
    ResourceMonitor::Options o;
    o.default_sources = false;
    o.calibrate = false;
    o.period = std::chrono::milliseconds(1);
    auto* monitor = new ResourceMonitor(o);
    ResourceVector v;
    v.cores_available = 1;
    (void)monitor->add_source(std::make_unique<braid::FakeResourceSource>(
        std::vector<braid::FakeResourceSource::Step>{v}));
    (void)monitor->start();
    return monitor;
  }();
  return *m;
}

void BM_Current(benchmark::State& state) {
  ResourceMonitor& m = busy_monitor();
  for (auto _ : state) {
    ResourceVector v = m.current();
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sizeof(ResourceVector)));
}
BENCHMARK(BM_Current)->ThreadRange(1, 16)->UseRealTime();

}  // namespace
