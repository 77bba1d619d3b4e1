#pragma once
// The files written beside the slimmed image (docs/artifacts.md): report.json, seccomp.json (only from a
// profile with a complete syscall set), run-flags.txt, securitycontext.yaml and the profile used.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>
#include <whittle/slim/report.hpp>
#include <whittle/trace/profile.hpp>

namespace whittle::slim {

// Syscalls a runtime (runc) makes between installing the filter and the app's first instruction (with
// no-new-privileges it installs it just before execve; without, before it switches user and capabilities),
// plus what the kernel needs to deliver signals: always allowed.
const std::vector<std::string>& seccomp_baseline();

// An OCI/Docker seccomp profile: default action SCMP_ACT_ERRNO (ENOSYS, so libc falls back as it would on
// an older kernel), the observed syscalls and the baseline allowed, architectures for `architecture`
// (GOARCH: amd64, arm64, ...).
nlohmann::json seccomp_profile(const std::set<std::string>& syscalls, const std::string& architecture);

// `podman run` flags: --read-only with a --tmpfs per writable path when the hints allow it, --cap-drop=ALL,
// no-new-privileges, --user, seccomp=seccomp.json when written.
std::string run_flags(const Report& report, bool with_seccomp);

// A Kubernetes securityContext (restricted Pod Security Standard) with emptyDir hints for writable paths.
std::string security_context(const Report& report, bool with_seccomp);

// Writes every artifact into dir (created if missing) atomically per file; adds their names to
// report.artifacts (report.json last, so it lists all). Returns the paths written. Throws Error.
std::vector<std::string> write_artifacts(const std::string& dir, Report& report,
                                         const trace::Profile& profile, const std::string& architecture);

} // namespace whittle::slim
