#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/openat2.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/interpreter.hpp>
#include <whittle/trace/privilege.hpp>
#include <whittle/trace/syscall_policy.hpp>
#include <whittle/trace/syscalls.hpp>
#include <whittle/trace/tracer.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/number.hpp>

// glibc's <sys/ptrace.h> clashes with <linux/ptrace.h>; call the syscall directly.
#include <sys/syscall.h>

namespace whittle::trace {

namespace {

long
pt(long request, pid_t pid, unsigned long addr, unsigned long data)
{
  return syscall(SYS_ptrace, request, pid, addr, data);
}

constexpr uint16_t
bit(Access a)
{
  return static_cast<uint16_t>(a);
}

constexpr long k_options = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                           PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
                           PTRACE_O_TRACESYSGOOD;

bool
is_stop_signal(int sig)
{
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

std::string
read_link(const std::string& path)
{
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n <= 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// Reads len bytes at addr of pid's memory; false when they cannot all be read.
bool
read_tracee(pid_t pid, uint64_t addr, void* buf, size_t len)
{
  iovec local = {buf, len};
  iovec remote = {reinterpret_cast<void*>(addr), len};
  return addr != 0 && process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

} // namespace

Tracer::Tracer(TracerOptions options)
    : m_options(std::move(options)), m_resolver(m_options.rootfs, [this] {
        auto s = RootResolver::default_special();
        s.insert(s.end(), m_options.special.begin(), m_options.special.end());
        return s;
      }())
{
  m_files[0];
}

void
Tracer::seize(pid_t init)
{
  if (pt(PTRACE_SEIZE, init, 0, k_options) != 0) {
    throw SandboxError(errno_message("ptrace seize sandbox init " + std::to_string(init), errno) +
                       " (is ptrace forbidden by a security module or a container?)");
  }
  m_init = init;
  m_groups[init] = -1;
}

int
Tracer::group_of(pid_t pid)
{
  auto it = m_groups.find(pid);
  if (it != m_groups.end()) {
    return it->second;
  }
  // A child whose creation event has not been seen yet: ask /proc who made it.
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  pid_t tgid = 0, ppid = 0;
  // "Tgid:\t123": the digits after the tab; 0 (unknown) when they do not parse.
  auto field = [&line](size_t at) {
    std::string_view v = std::string_view(line).substr(at);
    v.remove_prefix(std::min(v.find_first_not_of(" \t"), v.size()));
    auto n = util::parse_uint(v, INT32_MAX);
    return n ? static_cast<pid_t>(*n) : 0;
  };
  while (std::getline(in, line)) {
    if (line.rfind("Tgid:", 0) == 0) {
      tgid = field(5);
    } else if (line.rfind("PPid:", 0) == 0) {
      ppid = field(5);
    }
  }
  int group = 0;
  pid_t from = tgid != 0 && tgid != pid ? tgid : ppid;
  if (from == m_init && m_init > 0) {
    return assign_child_of_init(pid);
  }
  auto p = m_groups.find(from);
  if (p != m_groups.end() && p->second >= 0) {
    group = p->second;
  }
  m_groups[pid] = group;
  return group;
}

int
Tracer::assign_child_of_init(pid_t child)
{
  auto it = m_groups.find(child);
  if (it != m_groups.end()) {
    return it->second;
  }
  int group = 0;
  m_init_children.insert(child);
  if (m_app_pid < 0) {
    m_app_pid = child;
    m_app.started = std::chrono::steady_clock::now();
  } else {
    group = m_next_group.load();
  }
  m_groups[child] = group;
  return group;
}

void
Tracer::on_new_process(pid_t parent, pid_t child)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  if (parent == m_init) {
    assign_child_of_init(child);
    return;
  }
  int group = group_of(parent);
  if (group < 0) {
    group = 0;
  }
  m_groups[child] = group;
}

bool
Tracer::read_string(pid_t pid, uint64_t addr, std::string& out)
{
  out.clear();
  if (addr == 0) {
    return false;
  }
  constexpr size_t k_page = 4096;
  char buf[k_page];
  // The kernel refuses a path of PATH_MAX bytes or more (ENAMETOOLONG) before looking anything up.
  while (out.size() < m_options.max_path_length) {
    size_t chunk = k_page - (addr % k_page);
    iovec local = {buf, chunk};
    iovec remote = {reinterpret_cast<void*>(addr), chunk};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      return false;
    }
    size_t len = strnlen(buf, static_cast<size_t>(n));
    out.append(buf, len);
    if (len < static_cast<size_t>(n)) {
      return true;
    }
    addr += static_cast<uint64_t>(n);
  }
  out.clear();
  return false;
}

std::string
Tracer::base_dir(pid_t pid, int dirfd)
{
  std::string link = dirfd == AT_FDCWD ? "/proc/" + std::to_string(pid) + "/cwd"
                                       : "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(dirfd);
  return proc_link_to_tracee(read_link(link), m_resolver.host_root());
}

void
Tracer::fail(const std::string& why)
{
  if (!m_failure.empty()) {
    return;
  }
  m_failure = why;
  util::debug("stopping the run: " + why);
  if (m_init > 0) {
    kill(m_init, SIGKILL); // the pid namespace's init: every process of the sandbox goes with it
  }
}

bool
Tracer::admit(const std::string& path)
{
  const std::string stopped =
      "; the run was stopped (whittle's caps bound its own memory, whatever the app does)";
  if (path.size() > m_options.max_path_length) {
    fail("the app named a path of " + std::to_string(path.size()) + " bytes, longer than the cap of " +
         std::to_string(m_options.max_path_length) + " bytes (PATH_MAX) on a recorded path" + stopped);
    return false;
  }
  if (m_paths + 1 > m_options.max_paths) {
    fail("the app named more than " + std::to_string(m_options.max_paths) +
         " distinct paths, the cap on a profile" + stopped);
    return false;
  }
  if (m_path_bytes + path.size() > m_options.max_path_bytes) {
    fail("the app's distinct paths passed " + std::to_string(m_options.max_path_bytes >> 20) +
         " MiB in total, the cap on a profile" + stopped);
    return false;
  }
  ++m_paths;
  m_path_bytes += path.size();
  return true;
}

void
Tracer::add(int group, const std::string& path, uint16_t bits, const std::string& link_target)
{
  if (!m_failure.empty()) {
    return;
  }
  auto& files = m_files[group];
  auto it = files.find(path);
  if (it == files.end()) {
    if (!admit(path)) {
      return;
    }
    it = files.emplace(path, FileRecord{}).first;
  }
  FileRecord& rec = it->second;
  rec.path = path;
  rec.access |= bits;
  if (!link_target.empty()) {
    rec.link_target = link_target;
  }
}

void
Tracer::record(int group, const Resolved& r, uint16_t bits, bool creates, bool removes, int depth)
{
  for (const auto& [link, target] : r.links) {
    add(group, link, bit(Access::stat), target);
  }
  if (r.special) {
    if (group == 0 && m_failure.empty()) {
      auto it = m_special.find(r.path);
      if (it == m_special.end()) {
        if (!admit(r.path)) {
          return;
        }
        it = m_special.emplace(r.path, 0).first;
      }
      it->second |= bits;
    }
    return;
  }
  if (!r.exists) {
    add(group, r.path,
        creates ? static_cast<uint16_t>(bit(Access::create) | (bits & bit(Access::dir)))
                : bit(Access::missing));
    return;
  }
  if (removes) {
    bits = bit(Access::remove);
  }
  if (r.is_dir) {
    bits |= bit(Access::dir);
  }
  std::string target;
  if (r.is_symlink && (bits & bit(Access::readlink)) != 0) {
    target = m_resolver.read_link(r.path);
  }
  add(group, r.path, bits, target);
  // The kernel itself opens a script's interpreter and a program's ELF loader at execve.
  if ((bits & bit(Access::exec)) != 0 && !r.is_dir && depth < 4) {
    if (auto interp = interpreter_of(m_resolver.open_regular(r.path).get())) {
      Resolved ir = m_resolver.resolve(absolute_in_tracee(*interp, "/"), Follow::yes);
      record(group, ir, bit(Access::exec) | bit(Access::read), false, false, depth + 1);
    }
  }
}

void
Tracer::record_path(int group, pid_t pid, int dirfd, const std::string& path, const PathAccess& a,
                    bool empty_path_ok)
{
  std::string absolute;
  Follow follow = a.follow;
  if (path.empty()) {
    if (!empty_path_ok) {
      return; // ENOENT: nothing looked up
    }
    absolute = base_dir(pid, dirfd);
    follow = Follow::no;
  } else if (path[0] == '/') {
    absolute = path;
  } else {
    std::string base = base_dir(pid, dirfd);
    if (base.empty()) {
      return; // a descriptor that is no directory: the call fails with ENOTDIR
    }
    absolute = absolute_in_tracee(path, base);
  }
  if (absolute.empty()) {
    return;
  }
  record(group, m_resolver.resolve(absolute, follow), a.bits, a.creates, a.removes);
}

void
Tracer::record_beneath(int group, pid_t pid, int dirfd, const std::string& path, const PathAccess& a,
                       bool in_root)
{
  // RESOLVE_IN_ROOT: the dirfd's directory is the root of the walk. RESOLVE_BENEATH: the same, but an
  // absolute path fails (EXDEV), so nothing is looked up.
  if (path.empty() || (!in_root && path[0] == '/')) {
    return;
  }
  std::string base = base_dir(pid, dirfd);
  if (base.empty()) {
    return;
  }
  Resolved floor = m_resolver.resolve(base, Follow::yes);
  if (floor.special || !floor.exists || !floor.is_dir) {
    return;
  }
  record(group, m_resolver.resolve(path, a.follow, floor.path), a.bits, a.creates, false);
}

void
Tracer::check_privilege(pid_t pid, int group, const SyscallInfo& s, const uint64_t args[6])
{
  if (group != 0 || (m_init_children.count(pid) != 0 && m_execed.count(pid) == 0)) {
    return; // a probe's, or the sandbox's own setup before the exec
  }
  std::optional<CallerIds> ids = read_caller_ids(pid);
  if (!ids) {
    return;
  }
  TraceeAccess access;
  access.read = [pid](uint64_t addr, void* buf, size_t len) { return read_tracee(pid, addr, buf, len); };
  access.path = [this, pid](int dirfd, uint64_t path_addr) {
    std::string path;
    if (path_addr == 0 || !read_string(pid, path_addr, path) || path.empty()) {
      return base_dir(pid, dirfd); // the descriptor's own path
    }
    if (path[0] == '/') {
      return absolute_in_tracee(path, "/");
    }
    std::string base = base_dir(pid, dirfd);
    return base.empty() ? path : absolute_in_tracee(path, base);
  };
  access.owner = [this, pid, &access](int dirfd, uint64_t path_addr) -> std::optional<uint32_t> {
    std::string path = access.path(dirfd, path_addr);
    if (path.empty() || path[0] != '/') {
      return std::nullopt;
    }
    Resolved r = m_resolver.resolve(path, Follow::yes);
    struct stat st;
    if (r.special || !r.exists || ::lstat((m_resolver.host_root() + r.path).c_str(), &st) != 0) {
      return std::nullopt;
    }
    // The rootfs shows owners as whittle's namespace sees them: back to the caller's ids.
    std::ifstream m("/proc/" + std::to_string(pid) + "/uid_map");
    std::stringstream t;
    t << m.rdbuf();
    return inner_id(parse_id_map(t.str()), st.st_uid);
  };
  if (std::optional<std::string> why = needs_root_reason(s, args, *ids, access)) {
    if (std::find(m_needs_root.begin(), m_needs_root.end(), *why) == m_needs_root.end()) {
      util::verbose("the app needs root: " + *why);
      m_needs_root.push_back(*why);
    }
    if (const char* cap = capability_of(s)) {
      m_capabilities.insert(cap);
    }
  }
  if (m_switched_user.empty()) {
    if (std::optional<std::string> to = trace::switched_user(s, args, *ids)) {
      util::verbose("the app switched to user " + *to);
      m_switched_user = *to;
    }
  } else if (m_switched_user.size() > 2 &&
             m_switched_user.compare(m_switched_user.size() - 2, 2, ":0") == 0) {
    // The uid changed first and the group only now (setpriv): complete the identity.
    if (std::optional<uint32_t> g = trace::switched_group(s, args, *ids)) {
      m_switched_user = m_switched_user.substr(0, m_switched_user.size() - 1) + std::to_string(*g);
      util::verbose("the app switched to user " + m_switched_user);
    }
  }
}

void
Tracer::note_syscall(pid_t pid, int nr)
{
  if (!m_options.all_syscalls || m_syscall_nrs.count(nr) != 0) {
    return;
  }
  // The sandbox's own calls between fork and exec are runc's in a real run, not the app's.
  if (group_of(pid) < 0 || (m_init_children.count(pid) != 0 && m_execed.count(pid) == 0)) {
    return;
  }
  m_syscall_nrs.insert(nr);
  m_syscalls.insert(syscall_name(nr));
}

// A path call's arguments, decoded: what recording needs beyond the raw argument words.
struct Tracer::DecodedCall
{
  uint64_t at_flags = 0; // the AT_* flags word, 0 when the call has none
  uint64_t resolve = 0;  // openat2's RESOLVE_* flags
  PathAccess access;     // what the call does to its first path
  std::string first;     // the first path, when decoding had to read it already
};

bool
Tracer::decode_call(pid_t pid, const SyscallInfo& s, const uint64_t args[6], DecodedCall& call)
{
  call.at_flags = s.at_flags_arg >= 0 ? args[s.at_flags_arg] : 0;
  if (s.skip_if_flag != 0 && (call.at_flags & s.skip_if_flag) != 0) {
    // fstat's form, newfstatat(fd, "", AT_EMPTY_PATH): the descriptor was recorded when it was opened.
    // Only a non-empty path is a lookup to record.
    if (!read_string(pid, args[s.shape == PathShape::dirfd_path ? 1 : 0], call.first) || call.first.empty()) {
      return false;
    }
  }
  uint64_t open_flags = 0;
  if ((s.kind & k_sys_openat2) != 0) {
    open_how how = {};
    if (!read_tracee(pid, args[2], &how, sizeof how)) {
      return false;
    }
    open_flags = how.flags;
    call.resolve = how.resolve;
  } else if (s.open_flags_arg >= 0) {
    open_flags = args[s.open_flags_arg];
  }
  call.access = path_access(s, call.at_flags, open_flags);
  return true;
}

void
Tracer::record_paths(int group, pid_t pid, const SyscallInfo& s, const uint64_t args[6], DecodedCall& call)
{
  const PathAccess& a = call.access;
  bool empty_ok = (call.at_flags & AT_EMPTY_PATH) != 0;
  std::string& p0 = call.first;
  switch (s.shape) {
  case PathShape::none:
    return;
  case PathShape::path:
    if (read_string(pid, args[0], p0)) {
      record_path(group, pid, AT_FDCWD, p0, a, false);
    }
    return;
  case PathShape::dirfd_path:
    if ((call.resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) != 0) {
      if (read_string(pid, args[1], p0)) {
        record_beneath(group, pid, static_cast<int>(args[0]), p0, a, (call.resolve & RESOLVE_IN_ROOT) != 0);
      }
      return;
    }
    if (!p0.empty() || read_string(pid, args[1], p0) || empty_ok) {
      record_path(group, pid, static_cast<int>(args[0]), p0, a, empty_ok);
    }
    return;
  case PathShape::other_path:
  case PathShape::string_path:
    // a0 is no lookup (an inotify fd, a mount source, a symlink's contents).
    if (read_string(pid, args[1], p0)) {
      record_path(group, pid, AT_FDCWD, p0, a, false);
    }
    return;
  case PathShape::string_dirfd_path:
    if (read_string(pid, args[2], p0)) {
      record_path(group, pid, static_cast<int>(args[1]), p0, a, false);
    }
    return;
  case PathShape::path_path:
  case PathShape::dirfd_path_dirfd_path: {
    bool at = s.shape == PathShape::dirfd_path_dirfd_path;
    std::string p1;
    bool have0 = read_string(pid, at ? args[1] : args[0], p0);
    bool have1 = read_string(pid, at ? args[3] : args[1], p1);
    if (have0) {
      record_path(group, pid, at ? static_cast<int>(args[0]) : AT_FDCWD, p0, a, empty_ok);
    }
    if (have1) {
      record_path(group, pid, at ? static_cast<int>(args[2]) : AT_FDCWD, p1,
                  second_path_access(s, call.at_flags), false);
    }
    return;
  }
  }
}

void
Tracer::record_syscall(pid_t pid, int nr, const uint64_t args[6])
{
  const SyscallInfo* s = find_syscall(nr);
  if (s == nullptr) {
    return;
  }
  int group = group_of(pid);
  if (group < 0) {
    return; // the sandbox init itself
  }
  if ((s->kind & k_sys_privilege) != 0) {
    check_privilege(pid, group, *s, args);
  }
  if (s->shape == PathShape::none) {
    return;
  }
  DecodedCall call;
  if (!decode_call(pid, *s, args, call)) {
    return;
  }
  // The resolver caches the tree, which this call may change.
  if (call.access.creates || call.access.removes ||
      (s->kind & (k_sys_rename | k_sys_symlink | k_sys_link | k_sys_mkdir | k_sys_unlink)) != 0) {
    m_resolver.invalidate();
  }
  record_paths(group, pid, *s, args, call);
}

int
Tracer::refuse(pid_t pid, int nr, const uint64_t args[6])
{
  const Refusal* rule = refusal_for(nr, args);
  if (rule == nullptr) {
    if (nr == SYS_fallocate && m_options.allocation_check) {
      int error = m_options.allocation_check(args[1], args[3]);
      if (error != 0 && m_refused["fallocate(past --disk)"]++ == 0) {
        util::verbose("the sandbox refused the app's fallocate of " + std::to_string(args[3]) +
                      " bytes past the --disk budget (ENOSPC)");
      }
      return error;
    }
    return 0;
  }
  // Every process is refused; only the app's own calls are counted (not a probe's, not the sandbox's).
  int group = group_of(pid);
  if (group == 0 && !(m_init_children.count(pid) != 0 && m_execed.count(pid) == 0)) {
    if (m_refused[rule->label]++ == 0) {
      util::verbose(std::string("the sandbox refused the app's ") + rule->label + " (" +
                    (rule->error == ENOSYS ? "ENOSYS" : "EPERM") + ")");
    }
  }
  return rule->error;
}

void
Tracer::serve_notifications(int listener, int stop_fd)
{
  seccomp_notif_sizes sizes = {};
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    sizes.seccomp_notif = sizeof(seccomp_notif);
    sizes.seccomp_notif_resp = sizeof(seccomp_notif_resp);
  }
  std::vector<char> req_buf(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> resp_buf(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
  for (;;) {
    pollfd p[2] = {{listener, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (p[1].revents != 0) {
      return;
    }
    if ((p[0].revents & POLLIN) == 0) {
      return; // POLLHUP: no process uses the filter any more
    }
    std::memset(req_buf.data(), 0, req_buf.size());
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
      if (errno == EINTR || errno == ENOENT) {
        continue;
      }
      return;
    }
    int error = 0;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      ++m_stops;
      if (req->data.arch == audit_arch()) {
        uint64_t args[6];
        for (int i = 0; i < 6; ++i) {
          args[i] = req->data.args[i];
        }
        error = refuse(static_cast<pid_t>(req->pid), req->data.nr, args);
        if (error == 0) {
          note_syscall(static_cast<pid_t>(req->pid), req->data.nr);
          record_syscall(static_cast<pid_t>(req->pid), req->data.nr, args);
        }
      }
    }
    std::memset(resp_buf.data(), 0, resp_buf.size());
    resp->id = req->id;
    // A refused call fails with the rule's errno; any other continues as the app made it.
    resp->error = -error;
    resp->flags = error == 0 ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    // ENOENT: the caller was interrupted or killed meanwhile; nothing to answer.
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
}

void
Tracer::on_seccomp(pid_t pid)
{
  ptrace_syscall_info info;
  std::memset(&info, 0, sizeof info);
  long n = pt(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, reinterpret_cast<unsigned long>(&info));
  if (n <= 0 || info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
    return;
  }
  if (info.arch != audit_arch()) {
    return;
  }
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) {
    args[i] = info.seccomp.args[i];
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  // The tables decide, never the stop's data (info.seccomp.ret_data): a filter of the app's own that
  // returns SECCOMP_RET_TRACE for the same call replaces it (the newest filter's data wins), and could
  // then pass a refused call as a path call or hide a path call as a policy stop.
  int nr = static_cast<int>(info.seccomp.nr);
  if (int error = refuse(pid, nr, args); error != 0) {
    skip_syscall(pid, error);
    return;
  }
  note_syscall(pid, nr);
  record_syscall(pid, nr, args);
}

void
Tracer::run()
{
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == ECHILD) {
        break;
      }
      throw_errno("wait for traced processes");
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (pid == m_app_pid) {
        m_app.known = true;
        m_app.ended = std::chrono::steady_clock::now();
        m_app.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        m_app.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      }
      if (pid == m_init && !m_app.known && m_app_pid < 0) {
        // Untraced runs see only the init, which exits with the app's status (128 + N for a signal).
        m_app.known = true;
        m_app.ended = std::chrono::steady_clock::now();
        m_app.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      m_groups.erase(pid);
      m_init_children.erase(pid);
      m_execed.erase(pid);
      continue;
    }
    if (!WIFSTOPPED(status)) {
      continue;
    }
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    long restart = PTRACE_CONT;
    unsigned long inject = 0;
    switch (event) {
    case PTRACE_EVENT_SECCOMP:
      ++m_stops;
      on_seccomp(pid);
      break;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
      unsigned long child = 0;
      if (pt(PTRACE_GETEVENTMSG, pid, 0, reinterpret_cast<unsigned long>(&child)) == 0) {
        on_new_process(pid, static_cast<pid_t>(child));
      }
      break;
    }
    case PTRACE_EVENT_EXEC: {
      // An exec from a non-leader thread: the leader's pid survives, the old tid is gone.
      unsigned long former = 0;
      std::lock_guard<std::mutex> lock(m_mutex);
      m_execed.insert(pid);
      if (pt(PTRACE_GETEVENTMSG, pid, 0, reinterpret_cast<unsigned long>(&former)) == 0 &&
          static_cast<pid_t>(former) != pid) {
        m_groups.erase(static_cast<pid_t>(former));
      }
      break;
    }
    case PTRACE_EVENT_STOP:
      if (is_stop_signal(sig)) {
        // A group-stop: stay stopped, but keep reporting (SIGCONT ends it).
        pt(PTRACE_LISTEN, pid, 0, 0);
        continue;
      }
      break;
    case 0:
      inject = static_cast<unsigned long>(sig);
      if (sig == SIGXFSZ) {
        ++m_file_size_hits; // RLIMIT_FSIZE (--disk) cut a write; the app may ignore the signal
      }
      break;
    default:
      break;
    }
    // ESRCH: the tracee was killed meanwhile; its exit will be reported.
    pt(restart, pid, 0, inject);
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  if (!m_failure.empty()) {
    throw Error(m_failure);
  }
}

} // namespace whittle::trace
