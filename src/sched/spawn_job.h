// spawn_job: starts an admitted (or, static mode, ready) job as a task of its request's
// task_group. The only code in this file is the spawn and the task's first instructions,
// so that the ThreadSanitizer runs can name it: libtbb (not instrumented) copies the
// closure into a task object on the spawning thread and runs it on another; the task
// reads its captures before it can acquire on the job's address. tests/tsan.supp
// suppresses races whose top frame lies in this file — only those closure reads; the
// job's own work (job->run, not inlined through a function pointer) is still checked.
#pragma once

#include <tbb/task_group.h>

#include "core/tsan_annotations.h"
#include "sched/dispatcher.h"

namespace braid::detail {

inline void spawn_job(Job* job, int threads) {
  tsan_release(job);  // everything the spawner wrote to the job, for the task's acquire
  job->group->run([job, threads] {
    tsan_acquire(job);
    job->run(job, threads);
  });
}

}  // namespace braid::detail
