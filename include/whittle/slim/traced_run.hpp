#pragma once
// One run of an image in the trace sandbox, as `whittle trace`, `slim` (the trace and each verify) and
// `verify` do it: extract into a fresh directory of the work directory (owners shifted as the sandbox
// shows them), run under the tracer, return the profile with the image fields set. The app's stdout is
// hashed by the trace session and passed on to stderr (slim's and verify's stdout is their report).
#include <ctime>
#include <string>
#include <whittle/oci/image.hpp>
#include <whittle/rootfs/tree.hpp>
#include <whittle/trace/session.hpp>

namespace whittle::slim {

struct TracedRun
{
  trace::Profile profile;
  bool timed_out = false;
  rootfs::Tree tree;                      // the image's tree
  std::string root;                       // the extraction the app ran in, when kept ("" when removed)
  struct timespec changed_since = {0, 0}; // util::file_time_barrier() between extraction and the app's start
};

enum class KeepRoot
{
  no,
  yes
};

// Interface.

// Extracts `image` under work_dir/<name>-rootfs (state in <name>-state; both must not exist yet), runs it
// as `user` with `options` (options.sandbox.constraints applies, as verify sets it), and returns the
// profile. The extraction is removed afterwards unless keep_root. Throws SandboxError/BadInput/Error as
// trace::run_trace, Error when the work directories cannot be created.
TracedRun traced_run(const oci::Image& image, trace::TraceOptions options, const std::string& user,
                     const std::string& work_dir, const std::string& name, KeepRoot keep_root = KeepRoot::no);

} // namespace whittle::slim
