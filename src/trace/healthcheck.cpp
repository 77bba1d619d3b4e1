#include <algorithm>
#include <whittle/trace/healthcheck.hpp>

namespace whittle::trace {

HealthcheckSchedule
healthcheck_schedule(const HealthcheckProbe& h, std::chrono::milliseconds patience)
{
  using std::chrono::milliseconds;
  HealthcheckSchedule s{};
  s.attempt_timeout = h.timeout.count() > 0 ? h.timeout : k_healthcheck_timeout;
  s.gap = k_healthcheck_gap;
  for (milliseconds m : {h.interval, h.start_interval}) {
    if (m.count() > 0) {
      s.gap = std::min(s.gap, m);
    }
  }
  s.gap = std::max(s.gap, milliseconds(10)); // a 1 ms interval must not become a fork storm
  s.window = std::max(h.start_period, patience);
  s.retries = h.retries > 0 ? h.retries : k_healthcheck_retries;
  return s;
}

} // namespace whittle::trace
