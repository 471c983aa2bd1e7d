// spawn_job: starts an admitted (or, static mode, ready) job as a oneTBB task. The only
// code in this file is the spawn and the task's first instructions, so that the
// ThreadSanitizer runs can name it: libtbb (not instrumented) copies the closure into a
// task object on the spawning thread and runs it on another; the task reads its captures
// before it can acquire on the job's address. tests/tsan.supp suppresses races whose top
// frame lies in this file — only those closure reads; the job's own work (job->run, not
// inlined through a function pointer) is still checked.
#pragma once

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "core/tsan_annotations.h"
#include "sched/dispatcher.h"

namespace braid::detail {

// The arena in which this thread is running a job or waiting as a caller; null
// elsewhere (a caller waiting outside, another arena).
inline thread_local tbb::task_arena* t_in_arena = nullptr;

inline void spawn_job(Job* job, int threads) {
  tsan_release(job);  // everything the spawner wrote to the job, for the task's acquire
  tbb::task_arena* arena = job->arena;
  auto task = [job, threads, arena] {
    tsan_acquire(job);
    tbb::task_arena* outer = t_in_arena;
    t_in_arena = arena;
    job->run(job, threads);  // may end the request: `job` is not used below
    t_in_arena = outer;
  };
  // A thread in the job's arena spawns into its own deque (it, or the thread that steals
  // it, runs the job next, cache-warm); any other thread enqueues into that arena.
  if (t_in_arena == arena) {
    job->group->run(std::move(task));
  } else {
    arena->enqueue(job->group->defer(std::move(task)));
  }
}

}  // namespace braid::detail
