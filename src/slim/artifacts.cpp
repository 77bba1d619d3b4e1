#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/slim/artifacts.hpp>
#include <whittle/trace/syscall_baseline.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::slim {

const std::vector<std::string>&
seccomp_baseline()
{
  // One list with the tracer, which never stops on these (trace/syscall_baseline.hpp).
  return trace::seccomp_baseline();
}

nlohmann::json
seccomp_profile(const std::set<std::string>& syscalls, const std::string& architecture)
{
  std::set<std::string> names = syscalls;
  names.insert(seccomp_baseline().begin(), seccomp_baseline().end());
  std::vector<std::string> arches;
  if (architecture == "amd64") {
    arches = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  } else if (architecture == "arm64") {
    arches = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  } else if (architecture == "386") {
    arches = {"SCMP_ARCH_X86"};
  } else if (architecture == "ppc64le") {
    arches = {"SCMP_ARCH_PPC64LE"};
  } else if (architecture == "s390x") {
    arches = {"SCMP_ARCH_S390X"};
  } else if (architecture == "riscv64") {
    arches = {"SCMP_ARCH_RISCV64"};
  }
  nlohmann::json j;
  j["defaultAction"] = "SCMP_ACT_ERRNO";
  j["defaultErrnoRet"] = ENOSYS;
  j["architectures"] = arches;
  j["syscalls"] = nlohmann::json::array(
      {{{"names", std::vector<std::string>(names.begin(), names.end())}, {"action", "SCMP_ACT_ALLOW"}}});
  return j;
}

std::string
shell_quote(const std::string& s)
{
  static const char* k_plain = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-";
  if (!s.empty() && s.find_first_not_of(k_plain) == std::string::npos) {
    return s;
  }
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') {
      o += "'\\''";
    } else {
      o += c;
    }
  }
  return o + "'";
}

namespace {

const char* k_hex = "0123456789ABCDEF";

// The length of the valid UTF-8 sequence at s[i] (1..4) and its code point, or 0 when it is not one.
size_t
utf8_at(const std::string& s, size_t i, uint32_t& cp)
{
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) {
    return 0;
  }
  cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  if (overlong || surrogate || cp > 0x10ffff) {
    return 0;
  }
  return n;
}

// yaml_quote without the quotes: what a YAML comment may hold too.
std::string
yaml_escaped(const std::string& s)
{
  std::string o;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        o += '\\';
        o += static_cast<char>(c);
      } else if (c == '\n') {
        o += "\\n";
      } else if (c == '\t') {
        o += "\\t";
      } else if (c == '\r') {
        o += "\\r";
      } else if (c < 0x20 || c == 0x7f) {
        o += "\\x";
        o += k_hex[c >> 4];
        o += k_hex[c & 0xf];
      } else {
        o += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = utf8_at(s, i, cp);
    if (n == 0) {
      o += "\\x";
      o += k_hex[c >> 4];
      o += k_hex[c & 0xf];
      ++i;
      continue;
    }
    if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff) {
      o += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) {
        o += k_hex[(cp >> shift) & 0xf];
      }
    } else {
      o.append(s, i, n);
    }
    i += n;
  }
  return o;
}

// Text for a shell comment: one line, no control characters.
std::string
comment(const std::string& s)
{
  return util::terminal_safe(s);
}

} // namespace

std::string
yaml_quote(const std::string& s)
{
  return "\"" + yaml_escaped(s) + "\"";
}

std::string
run_flags(const Hardening& h)
{
  std::string o =
      "# podman (or docker) run flags for the slimmed image, written by whittle; see docs/artifacts.md.\n"
      "# whittle's verify ran the slimmed image under exactly these constraints.\n";
  if (!h.read_only_root) {
    o += "# The root is not read-only: " + comment(h.why_not_read_only) + ".\n";
  }
  if (!h.non_root) {
    o += "# Runs as root: " + comment(h.user_note) + ".\n";
  }
  o += "podman run --rm";
  if (h.read_only_root) {
    o += " --read-only";
    for (const auto& p : h.tmpfs_paths) {
      o += " --tmpfs " + shell_quote(p);
    }
  }
  o += " --cap-drop=ALL";
  for (const auto& c : h.capabilities) {
    o += " --cap-add=" + shell_quote(c);
  }
  // --user=VALUE: a value starting with '-' cannot be read as a flag of its own.
  o += " --security-opt=no-new-privileges --user=" + shell_quote(h.user);
  if (h.seccomp_allow) {
    o += " --security-opt seccomp=seccomp.json";
  }
  o += " IMAGE\n";
  return o;
}

std::string
security_context(const Hardening& h)
{
  size_t colon = h.user.find(':');
  std::string uid = h.user.substr(0, colon);
  std::string gid = colon == std::string::npos ? uid : h.user.substr(colon + 1);
  auto is_id = [](const std::string& id) {
    return !id.empty() && id.size() <= 10 && id.find_first_not_of("0123456789") == std::string::npos;
  };
  bool numeric = is_id(uid) && is_id(gid);
  std::string o =
      "# Kubernetes container securityContext (restricted Pod Security Standard), written by whittle.\n"
      "# whittle's verify ran the slimmed image under exactly these constraints.\n";
  if (!h.non_root) {
    o += "# The image runs as root (" + yaml_escaped(h.user_note) +
         "); the restricted standard will refuse it.\n";
  }
  o += "securityContext:\n";
  o += std::string("  runAsNonRoot: ") + (h.non_root ? "true" : "false") + "\n";
  if (numeric) {
    o += "  runAsUser: " + uid + "\n  runAsGroup: " + gid + "\n";
  }
  o += std::string("  readOnlyRootFilesystem: ") + (h.read_only_root ? "true" : "false") + "\n";
  o += "  allowPrivilegeEscalation: false\n";
  o += "  capabilities:\n    drop:\n      - ALL\n";
  if (!h.capabilities.empty()) {
    o += "    add:\n";
    for (const auto& c : h.capabilities) {
      o += "      - " + yaml_quote(c) + "\n";
    }
  }
  o += "  seccompProfile:\n";
  if (h.seccomp_allow) {
    o += "    type: Localhost\n    localhostProfile: whittle/seccomp.json # copy seccomp.json to <kubelet "
         "root>/seccomp/whittle/\n";
  } else {
    o += "    type: RuntimeDefault\n";
  }
  if (h.read_only_root && !h.tmpfs_paths.empty()) {
    o += "# Writable paths: mount an emptyDir volume at each.\n";
    o += "# volumeMounts:\n";
    int i = 0;
    for (const auto& p : h.tmpfs_paths) {
      o += "#   - name: whittle-tmp-" + std::to_string(i++) + "\n#     mountPath: " + yaml_quote(p) + "\n";
    }
  }
  return o;
}

namespace {

void
write_text(const std::string& path, const std::string& text)
{
  util::AtomicOutput out(path, util::AtomicOutput::Kind::file);
  int fd = ::open(out.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw_errno("write `" + path + "`");
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw Error(errno_message("write `" + path + "`", err));
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    throw_errno("close `" + path + "`");
  }
  out.commit();
}

} // namespace

std::vector<std::string>
write_artifacts(const std::string& dir, Report& report, const trace::Profile& profile,
                const std::string& architecture)
{
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("create artifacts directory `" + dir + "`");
  }
  std::vector<std::string> written;
  const Hardening& h = report.hardening;
  if (h.seccomp_allow) {
    write_text(dir + "/seccomp.json", seccomp_profile(*h.seccomp_allow, architecture).dump(2) + "\n");
    written.push_back(dir + "/seccomp.json");
  }
  write_text(dir + "/run-flags.txt", run_flags(h));
  written.push_back(dir + "/run-flags.txt");
  write_text(dir + "/securitycontext.yaml", security_context(h));
  written.push_back(dir + "/securitycontext.yaml");
  write_text(dir + "/profile.json", trace::serialize_profile(profile));
  written.push_back(dir + "/profile.json");
  written.push_back(dir + "/report.json");
  report.artifacts = written;
  write_text(dir + "/report.json",
             report_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  return written;
}

} // namespace whittle::slim
