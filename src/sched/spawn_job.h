// spawn_job: starts an admitted (or, static mode, ready) job as a oneTBB task. The only
// code in this file is the spawn and the task's first instructions, so that the
// ThreadSanitizer runs can name it: libtbb (not instrumented) copies the closure into a
// task object on the spawning thread and runs it on another; the task reads its captures
// before it can acquire on the job's address. tests/tsan.supp suppresses races whose top
// frame lies in this file — only those closure reads; the job's own work (job->run, not
// inlined through a function pointer) is still checked.
#pragma once

#include <tbb/task_group.h>

#include "core/tsan_annotations.h"
#include "sched/dispatcher.h"

namespace braid::detail {

// The Dispatcher whose job this thread is running (callers outside only), else null.
inline thread_local Dispatcher* t_running_jobs_of = nullptr;

inline void spawn_job(Job* job, int threads) {
  tsan_release(job);  // everything the spawner wrote to the job, for the task's acquire
  if (job->group != nullptr) {
    // The caller waits in the arena on the request's group.
    job->group->run([job, threads] {
      tsan_acquire(job);
      job->run(job, threads);
    });
    return;
  }
  Dispatcher* d = job->dispatcher;
  auto task = [job, threads, d] {
    tsan_acquire(job);
    Dispatcher* outer = t_running_jobs_of;
    t_running_jobs_of = d;
    job->run(job, threads);  // may end the request: only `d` is used below
    t_running_jobs_of = outer;
  };
  // A worker's successors go to its own deque (it likely runs one next, cache-warm); a
  // caller outside the arena, or a thread of another arena, enqueues into this one.
  if (t_running_jobs_of == d) {
    d->jobs().run(std::move(task));
  } else {
    d->arena().enqueue(d->jobs().defer(std::move(task)));
  }
}

}  // namespace braid::detail
