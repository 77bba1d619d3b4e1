#pragma once
// Errors from a child between fork and exec travel to the parent over a pipe as {errno, message}
// (crun's sync socket), because nothing may be thrown or allocated there. The write end is close-on-exec,
// so a successful exec leaves the pipe empty.
#include <cstddef>

namespace whittle::trace {

struct ChildError
{
  int err = 0;            // errno of the failing call (0 when none applies)
  char message[240] = {}; // "verb `object`" of the failed step
};

// Interface.

// Child side: writes {err, "what `object`"} to fd. Async-signal-safe; never fails visibly.
void report_child_error(int fd, int err, const char* what, const char* object) noexcept;

// Parent side: reads one report from fd without blocking. Returns true and fills out when one was
// written, false when the pipe is empty or closed.
bool read_child_error(int fd, ChildError& out) noexcept;

} // namespace whittle::trace
