#pragma once
// The syscalls every seccomp.json allows whatever the trace saw: what a runtime (runc) makes between
// installing the filter and the app's first instruction (with no-new-privileges it installs it just before
// execve; without, before it switches user and capabilities), what the kernel needs to deliver signals,
// and harmless high-frequency calls (reads, writes, polls, clocks). Syscall recording (TraceOptions::
// all_syscalls) never stops on these: they are allowed anyway, so seeing them adds nothing, and they are
// most of a server's calls.
#include <string>
#include <vector>

namespace whittle::trace {

// Interface.

// The names, each once (libseccomp's spelling; a name the host's libseccomp does not know is ignored).
const std::vector<std::string>& seccomp_baseline();

} // namespace whittle::trace
