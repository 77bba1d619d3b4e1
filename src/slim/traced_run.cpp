#include <sys/stat.h>
#include <unistd.h>
#include <whittle/rootfs/apply.hpp>
#include <whittle/slim/traced_run.hpp>
#include <whittle/trace/idmap.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/in_root.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::slim {

TracedRun
traced_run(const oci::Image& image, trace::TraceOptions options, const std::string& user,
           const std::string& work_dir, const std::string& name, KeepRoot keep_root)
{
  std::string root = work_dir + "/" + name + "-rootfs";
  std::string state = work_dir + "/" + name + "-state";
  if (::mkdir(root.c_str(), 0755) != 0 || ::mkdir(state.c_str(), 0755) != 0) {
    throw_errno("create work directories under `" + work_dir + "`");
  }
  rootfs::ApplyOptions ao;
  ao.extract_to = root;
  // Owners as the sandbox's user namespace shows them (trace/idmap), chosen once for both.
  ao.id_shift = trace::sandbox_id_shift();
  options.sandbox.id_shift = ao.id_shift;
  rootfs::ApplyResult applied = rootfs::apply_layers(image, ao);
  TracedRun out;
  if (keep_root == KeepRoot::yes) {
    out.changed_since = util::file_time_barrier();
  }
  options.sandbox.rootfs = root;
  options.sandbox.state_dir = state;
  options.sandbox.user = user;
  out.tree = std::move(applied.tree);
  options.stdout_fd = STDERR_FILENO;
  trace::TraceOutcome outcome = trace::run_trace(options);
  out.profile = std::move(outcome.profile);
  out.timed_out = outcome.timed_out;
  out.profile.image_ref = image.ref.str();
  out.profile.manifest_digest = image.manifest_digest.str();
  out.profile.platform = image.platform.str();
  if (keep_root == KeepRoot::yes) {
    out.root = root;
  } else {
    util::remove_all(root);
  }
  return out;
}

} // namespace whittle::slim
