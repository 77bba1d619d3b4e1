#include <sys/stat.h>
#include <whittle/slim/traced_run.hpp>
#include <whittle/slim/traced_source.hpp>
#include <whittle/util/error.hpp>

namespace whittle::slim {

namespace {

void
make_dir(const std::string& path, mode_t mode)
{
  if (::mkdir(path.c_str(), mode) != 0) {
    throw_errno("create `" + path + "`");
  }
}

} // namespace

TracedSource
trace_source(const oci::Image& image, const trace::TraceOptions& options, const std::string& user,
             const std::string& work_dir)
{
  TracedRun traced = traced_run(image, options, user, work_dir, "trace", KeepRoot::yes);
  TracedSource out{std::move(traced.profile),
                   ExtractedImage{image, std::move(traced.tree), traced.root, {}, traced.changed_since},
                   traced.timed_out};
  std::string pristine = work_dir + "/pristine";
  make_dir(pristine, 0700);
  if (!restore_pristine(out.src, out.profile, pristine, &out.restored)) {
    std::string root = work_dir + "/rootfs";
    make_dir(root, 0755);
    out.src = extract_image(image, root);
    out.extracted_afresh = true;
  }
  return out;
}

} // namespace whittle::slim
