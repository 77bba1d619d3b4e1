#include <whittle/trace/cpu_pin.hpp>

namespace whittle::trace {

CpuPin::CpuPin(bool enabled)
{
  CPU_ZERO(&m_saved);
  if (!enabled || sched_getaffinity(0, sizeof m_saved, &m_saved) != 0) {
    return;
  }
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &m_saved)) {
    return;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) == 0) {
    m_cpu = cpu;
  }
}

CpuPin::~CpuPin()
{
  if (m_cpu >= 0) {
    sched_setaffinity(0, sizeof m_saved, &m_saved);
  }
}

} // namespace whittle::trace
