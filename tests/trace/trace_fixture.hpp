#pragma once
// A tiny rootfs holding the static helper tracee, and a one-call trace of it.
#include <functional>
#include <string>
#include <support/test_support.hpp>
#include <vector>
#include <whittle/trace/session.hpp>
#include <whittle/util/id_shift.hpp>

namespace whittle::test {

// Enters rootless mode when not root (trace/rootless; the test binary is single-threaded between tests)
// and returns the sandbox's id shift.
util::IdShift enter_sandbox_ids();

// False, after printing the skip marker, in single-id rootless mode (trace/idmap: the sandbox holds the
// one id 0, so no other user exists there); true otherwise.
bool have_other_ids();

// Builds the fixture rootfs under dir/rootfs, owners shifted for the sandbox: /bin/tracee, /etc/passwd,
// /data/{a,b}.txt, /data/sub/c.txt, /bin/sh -> tracee, /lnk -> data, /abs -> /data/a.txt, /up -> ../../..,
// /tmp. Returns the rootfs path.
std::string make_tracee_rootfs(const TestDir& dir);

// Traces /bin/tracee ARGS in that rootfs (state under dir/state); returns the outcome.
trace::TraceOutcome trace_tracee(const TestDir& dir, const std::vector<std::string>& args,
                                 const std::function<void(trace::TraceOptions&)>& tweak = {});

// "path:access,access" lines of the profile's files (sorted), for exact comparisons.
std::vector<std::string> file_lines(const trace::Profile& p);

// A trace of the tracee with its stdout captured in a file of the test dir.
struct Captured
{
  trace::TraceOutcome out;
  std::string stdout_text;
  int exit_code() const { return out.profile.runs.at(0).exit_code; }
};
Captured capture(const TestDir& dir, const std::vector<std::string>& args,
                 const std::function<void(trace::TraceOptions&)>& tweak = {});

bool contains(const std::string& text, const std::string& part);

// The mountinfo line whose mount point is `point` (the last, i.e. the one on top), or "".
std::string mount_line(const std::string& mountinfo, const std::string& point);

} // namespace whittle::test
