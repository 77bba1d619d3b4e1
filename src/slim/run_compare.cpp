#include <optional>
#include <whittle/slim/run_compare.hpp>

namespace whittle::slim {

namespace {

// The image's HEALTHCHECK must pass in the slimmed image, whatever it did in the original: an image whose
// runtime reports it unhealthy is broken for whoever deploys it.
std::optional<std::string>
healthcheck_difference(const trace::ProbeResult& original, const trace::ProbeResult& slimmed)
{
  if (original.kind != slimmed.kind || original.target != slimmed.target) {
    return "probe " + original.target + " -> " + slimmed.target;
  }
  if (slimmed.ok) {
    return std::nullopt;
  }
  return "healthcheck " + slimmed.target + " failed in the slimmed image: status " +
         std::to_string(slimmed.status) +
         (original.ok ? " (passed in the original)"
                      : " (failed in the original too, status " + std::to_string(original.status) +
                            "; --no-healthcheck skips it)");
}

} // namespace

VerifyOutcome
compare_runs(const trace::Profile& original, const trace::Profile& slimmed)
{
  VerifyOutcome v;
  if (original.runs.empty() || slimmed.runs.empty()) {
    v.ok = false;
    v.differences.push_back("a profile has no run record to compare");
    return v;
  }
  const trace::RunRecord& a = original.runs[0];
  const trace::RunRecord& b = slimmed.runs[0];
  if (a.exit_code != b.exit_code || a.signal != b.signal) {
    v.differences.push_back("exit status " + std::to_string(a.exit_code) + "/signal " +
                            std::to_string(a.signal) + " -> " + std::to_string(b.exit_code) + "/signal " +
                            std::to_string(b.signal));
  }
  if (a.stdout_sha256 != b.stdout_sha256) {
    v.differences.push_back("stdout differs (sha256 " + a.stdout_sha256.substr(0, 12) + " -> " +
                            b.stdout_sha256.substr(0, 12) + ")");
  }
  if (a.probes.size() != b.probes.size()) {
    v.differences.push_back("probe count " + std::to_string(a.probes.size()) + " -> " +
                            std::to_string(b.probes.size()));
  }
  for (size_t i = 0; i < a.probes.size() && i < b.probes.size(); ++i) {
    const auto& pa = a.probes[i];
    const auto& pb = b.probes[i];
    if (pa.kind == "healthcheck" || pb.kind == "healthcheck") {
      if (auto d = healthcheck_difference(pa, pb)) {
        v.differences.push_back(*d);
      }
      continue;
    }
    if (pa.status != pb.status || pa.ok != pb.ok) {
      v.differences.push_back("probe " + pa.target + ": status " + std::to_string(pa.status) + " -> " +
                              std::to_string(pb.status));
    }
    if (pa.body_sha256 != pb.body_sha256) {
      v.differences.push_back("probe " + pa.target + ": body differs");
    }
  }
  v.ok = v.differences.empty();
  if (!v.ok) {
    for (const auto& [path, rec] : slimmed.files) {
      if (!rec.has(trace::Access::missing)) {
        continue;
      }
      v.missing.push_back(path);
      // Only what the original found: lookups that differ for another reason (the new user's home
      // directory) are noise.
      auto it = original.files.find(path);
      if (it != original.files.end() &&
          (it->second.access & ~static_cast<uint16_t>(trace::Access::missing)) != 0) {
        v.not_found.push_back(path);
      }
    }
  }
  return v;
}

} // namespace whittle::slim
