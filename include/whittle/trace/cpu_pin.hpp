#pragma once
// Keeping the tracer and the traced app on one CPU. Every ptrace or seccomp stop hands the CPU from the
// app to the tracer and back; on two CPUs each hand-over is a cross-CPU wake-up (an IPI, costly in a VM)
// and the scheduler keeps them apart when the machine is idle. On the benchmark machine a traced python
// run took 246 ms free and 114 ms with both on one CPU (87 ms untraced): bench/results/trace.md.
// The price: the app sees one CPU (sched_getaffinity), so apps sizing worker pools by it start fewer
// workers; the paths they touch are the same. `--all-cpus` turns it off.
#include <sched.h>

namespace whittle::trace {

// Pins the calling thread (and so every process and thread it starts afterwards) to the CPU it runs on
// now, within its current affinity; the destructor restores that affinity for the calling thread.
// Does nothing when `enabled` is false or the affinity cannot be read or set.
class CpuPin
{
public:
  explicit CpuPin(bool enabled);
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;
  ~CpuPin();

  // The CPU pinned to, or -1.
  int cpu() const { return m_cpu; }

private:
  cpu_set_t m_saved;
  int m_cpu = -1;
};

} // namespace whittle::trace
