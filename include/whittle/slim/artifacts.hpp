#pragma once
// The files written beside the slimmed image (docs/artifacts.md): report.json, seccomp.json (only from a
// hardening with a seccomp allow list), run-flags.txt, securitycontext.yaml and the profile used.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>
#include <whittle/slim/hardening.hpp>
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

// One shell word (POSIX sh) for s: s itself when non-empty and made only of [A-Za-z0-9_./:=@%+,-], else s
// in single quotes with each ' written as '\'' (a newline or any byte stays inside the quotes).
std::string shell_quote(const std::string& s);

// A YAML double-quoted scalar holding s: " and \ escaped, \n \t \r, other C0 controls and DEL as \xHH,
// C1 controls and the YAML line breaks U+0085, U+2028, U+2029 (and U+FEFF) as \uHHHH. A byte that is not
// part of valid UTF-8 becomes \xHH, which YAML reads as the code point U+00HH: the file stays valid UTF-8
// YAML, and such a name reads back as its Latin-1 spelling.
std::string yaml_quote(const std::string& s);

// `podman run` flags from h: --read-only with a --tmpfs per tmpfs path when the root is read-only,
// --cap-drop=ALL and a --cap-add per kept capability, no-new-privileges, --user, seccomp=seccomp.json
// when h has an allow list. Every image-derived value is one shell_quote'd word; image-derived text in
// comments has its control characters escaped.
std::string run_flags(const Hardening& h);

// A Kubernetes securityContext (restricted Pod Security Standard) from h: capabilities drop ALL and add
// the kept ones, emptyDir hints for the tmpfs paths. runAsUser/runAsGroup only for a numeric user;
// image-derived text (in comments and the commented hints) is escaped as by yaml_quote, so no name can
// end a comment or add a key.
std::string security_context(const Hardening& h);

// Writes every artifact into dir (created if missing) atomically per file, the hints and seccomp.json
// (when it has an allow list) from report.hardening; adds their names to report.artifacts (report.json last,
// so it lists all). Returns the paths written. Throws Error.
std::vector<std::string> write_artifacts(const std::string& dir, Report& report,
                                         const trace::Profile& profile, const std::string& architecture);

} // namespace whittle::slim
