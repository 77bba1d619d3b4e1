#pragma once
// The image's HEALTHCHECK run as a probe of a traced run. docker and podman run it every Interval (30 s by
// default) and call the container healthy at the first success, unhealthy after Retries failures once
// StartPeriod is over. A trace cannot wait that long, so whittle keeps the meaning and shortens the waits:
// it retries a failed check quickly (every 250 ms, or the image's Interval/StartInterval when shorter)
// for a start window of StartPeriod or the probe patience (30 s), whichever is longer, and calls it failed
// once the window is over and Retries (3) checks in a row failed. Each check is cut at Timeout (30 s);
// everything ends at the run's --timeout.
#include <chrono>
#include <string>
#include <vector>

namespace whittle::trace {

struct HealthcheckProbe
{
  // What the sandbox execs: CMD's program and arguments, or the image's shell (/bin/sh -c) followed by
  // CMD-SHELL's command. argv[0] without a slash is looked up on the app's PATH.
  std::vector<std::string> argv;
  // As the profile records it: "CMD [\"curl\",\"-f\",\"http://localhost/\"]" or "CMD-SHELL curl -f ...".
  std::string target;
  // The image's values; zero means unset (docker's default applies).
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds start_period{0};
  std::chrono::milliseconds start_interval{0};
  int retries = 0;
};

inline constexpr std::chrono::milliseconds k_healthcheck_gap{250};
inline constexpr std::chrono::milliseconds k_healthcheck_timeout{30000}; // docker's default Timeout
inline constexpr int k_healthcheck_retries = 3;                          // docker's default Retries

// When whittle runs the checks of one traced run.
struct HealthcheckSchedule
{
  std::chrono::milliseconds attempt_timeout; // one check is killed after this long
  std::chrono::milliseconds gap;             // from the end of a failed check to the next
  std::chrono::milliseconds window;          // from the first check: failures inside it are retried
  int retries;                               // failures in a row that end it once the window is over
};

// Interface.

// The schedule for h given the run's probe patience (see the top of this file). Never throws.
HealthcheckSchedule healthcheck_schedule(const HealthcheckProbe& h, std::chrono::milliseconds patience);

} // namespace whittle::trace
