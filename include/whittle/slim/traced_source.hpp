#pragma once
// What slim builds from: the app traced in the sandbox, and the root it ran in made pristine again (the
// files the app may have changed restored from the layers), else a fresh extraction. One extraction
// serves both the trace and the build.
#include <string>
#include <whittle/oci/image.hpp>
#include <whittle/slim/pipeline.hpp>
#include <whittle/trace/session.hpp>

namespace whittle::slim {

struct TracedSource
{
  trace::Profile profile;
  ExtractedImage src;
  bool timed_out = false;
  size_t restored = 0;           // files restored from the layers
  bool extracted_afresh = false; // restoring failed: src is a second extraction
};

// Interface.

// Runs image as user under options in work_dir (traced_run "trace", root kept), then restores it into a
// pristine source (overrides in work_dir/pristine), or extracts afresh into work_dir/rootfs when some
// content cannot be restored. Throws what traced_run, restore_pristine and extract_image throw; Error
// when a work directory cannot be created.
TracedSource trace_source(const oci::Image& image, const trace::TraceOptions& options,
                          const std::string& user, const std::string& work_dir);

} // namespace whittle::slim
