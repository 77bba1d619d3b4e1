#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <whittle/trace/capabilities.hpp>
#include <whittle/trace/child_sync.hpp>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/limits.hpp>
#include <whittle/trace/mounts.hpp>
#include <whittle/trace/namespaces.hpp>
#include <whittle/trace/rootless.hpp>
#include <whittle/trace/sandbox.hpp>
#include <whittle/trace/seccomp_filter.hpp>
#include <whittle/util/env_list.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path_search.hpp>

namespace whittle::trace {

namespace {

// Messages between whittle and the init on the control / status pipes (each below PIPE_BUF, so a write
// is atomic).
enum ExecOp : int
{
  k_exec_shell = 0, // command: one string for /bin/sh -c
  k_exec_argv = 1,  // command: argc NUL-terminated strings, exec'd directly (argv[0] looked up on PATH)
  k_exec_kill = 2,  // SIGKILL the probe of this index if it still runs
};

struct ExecRequest
{
  int index = 0;
  int op = k_exec_shell;
  int argc = 0;
  char command[k_max_exec_bytes] = {};
};

struct ExecStatus
{
  int index = 0;
  int status = 0;
};

// As execvpe for a name without '/', but the search path is the app's PATH (envp), not whittle's: tries
// each entry in order (util::PathEntries; an empty or relative entry is relative to the working directory,
// which is the app's by now) and returns (errno set) only when none could be run. No allocation: runs
// between fork and exec.
void
exec_on_path(const char* name, char* const* argv, char* const* envp) noexcept
{
  const char* path = util::env_lookup(envp, "PATH");
  util::PathEntries entries(path != nullptr ? path : util::k_default_path);
  static char candidate[4096];
  size_t name_len = std::strlen(name);
  int first_error = ENOENT;
  for (std::string_view dir; entries.next(dir);) {
    if (dir.size() + 1 + name_len >= sizeof candidate) {
      continue;
    }
    size_t len = 0; // an empty entry: the bare name, which execve looks up in the working directory
    if (!dir.empty()) {
      std::memcpy(candidate, dir.data(), dir.size());
      candidate[dir.size()] = '/';
      len = dir.size() + 1;
    }
    std::memcpy(candidate + len, name, name_len + 1);
    execve(candidate, argv, envp);
    if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT) {
      first_error = errno; // e.g. EACCES: reported if nothing later on PATH runs
    }
  }
  errno = first_error;
}

// The signals the init passes on to the app: the usual ways to ask a process to stop.
constexpr int k_forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void
forward_signal(int sig)
{
  // From pid 1, kill(-1) reaches every other process of the namespace.
  int saved = errno;
  kill(-1, sig);
  errno = saved;
}

void
on_child(int)
{
  // Only interrupts ppoll in the init's loop.
}

void
make_pipe(util::Fd& r, util::Fd& w)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("create pipe");
  }
  r = util::Fd(fds[0]);
  w = util::Fd(fds[1]);
}

} // namespace

Sandbox::Sandbox(SandboxPlan plan, Filter filter, bool record_syscalls)
    : m_plan(std::move(plan)), m_filter_kind(filter)
{
  // Filter::none still refuses what the baseline policy refuses (SECCOMP_RET_ERRNO, no stops).
  m_filter = build_trace_filter(filter == Filter::notify  ? FilterAction::notify
                                : filter == Filter::trace ? FilterAction::trace
                                                          : FilterAction::deny,
                                record_syscalls);
  if (m_plan.constraints && m_plan.constraints->seccomp_allow) {
    m_allow_filter = build_allow_filter(*m_plan.constraints->seccomp_allow);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    throw_errno("create socketpair");
  }
  m_listener_read = util::Fd(sv[0]);
  m_listener_write = util::Fd(sv[1]);
  m_caps = m_plan.constraints ? m_plan.constraints->capabilities : docker_default_caps();
  m_argv_store = m_plan.argv;
  for (auto& a : m_argv_store) {
    m_argv.push_back(a.data());
  }
  m_argv.push_back(nullptr);
  for (auto& e : m_plan.env) {
    m_env.push_back(e.data());
  }
  m_env.push_back(nullptr);
  make_pipe(m_go_read, m_go_write);
  make_pipe(m_sync_read, m_sync_write);
  make_pipe(m_control_read, m_control_write);
  make_pipe(m_status_read, m_status_write);
  m_devnull = util::Fd(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!m_devnull) {
    throw_errno("open `/dev/null`");
  }
  if (!m_plan.id_shift.active()) {
    m_plan.id_shift = sandbox_id_shift();
  }
  m_setgroups = setgroups_allowed();
  bool held = m_plan.id_shift.holds(m_plan.uid) && m_plan.id_shift.holds(m_plan.gid);
  for (gid_t g : m_plan.groups) {
    held = held && m_plan.id_shift.holds(g);
  }
  if (!held) {
    throw SandboxError(
        "run the app as user " + m_plan.user + ": the sandbox maps only ids 0.." +
        std::to_string(m_plan.id_shift.count - 1) +
        (m_plan.id_shift.count == 1
             ? " (single-id rootless mode: give the user a range in /etc/subuid and /etc/subgid "
               "and install newuidmap/newgidmap, package uidmap, or run as root)"
             : ""));
  }
  size_t sources = mount_source_count(m_plan);
  if (sources > 200) {
    throw UsageError("the sandbox takes at most 190 --mount binds");
  }
  m_sources.assign(sources, -1);
  m_sources_cmsg.assign(CMSG_SPACE(sources * sizeof(int)), 0);
  prepare_mount_targets(m_plan);
}

Sandbox::~Sandbox()
{
  signal(SIGKILL);
}

void
Sandbox::signal(int sig) noexcept
{
  if (m_pidfd) {
    syscall(SYS_pidfd_send_signal, m_pidfd.get(), sig, nullptr, 0);
  }
}

pid_t
Sandbox::start()
{
  unsigned long flags = sandbox_clone_flags(m_plan.network == Network::host);
  long pid = syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) {
    int err = errno;
    throw SandboxError(errno_message("create sandbox namespaces (user, mount, pid, ipc, uts, net)", err) +
                       userns_hint(err));
  }
  if (pid == 0) {
    init_main();
  }
  m_init = static_cast<pid_t>(pid);
  // The init is our unreaped child: its pid cannot be recycled before this pidfd exists.
  m_pidfd = util::Fd(static_cast<int>(syscall(SYS_pidfd_open, m_init, 0)));
  m_go_read.close();
  m_sync_write.close();
  m_control_read.close();
  m_status_write.close();
  m_app_stdout.close();
  m_app_stderr.close();
  // A failure below leaves the init waiting; the destructor kills it.
  write_id_maps(m_init, m_plan.id_shift);
  send_mount_sources();
  m_listener_write.close();
  return m_init;
}

void
Sandbox::send_mount_sources()
{
  std::vector<util::Fd> fds = open_mount_sources(m_plan, m_init);
  std::vector<int> raw;
  for (const auto& fd : fds) {
    raw.push_back(fd.get());
  }
  char byte = 's';
  iovec iov = {&byte, 1};
  std::vector<char> control(CMSG_SPACE(raw.size() * sizeof(int)), 0);
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(raw.size() * sizeof(int));
  std::memcpy(CMSG_DATA(c), raw.data(), raw.size() * sizeof(int));
  if (sendmsg(m_listener_read.get(), &msg, MSG_NOSIGNAL) < 0) {
    throw SandboxError(errno_message("hand the mount sources to the sandbox", errno));
  }
}

bool
Sandbox::receive_mount_sources() noexcept
{
  char byte = 0;
  iovec iov = {&byte, 1};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = m_sources_cmsg.data();
  msg.msg_controllen = m_sources_cmsg.size();
  ssize_t n;
  do {
    n = recvmsg(m_listener_write.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS || (msg.msg_flags & MSG_CTRUNC) != 0 ||
      c->cmsg_len != CMSG_LEN(m_sources.size() * sizeof(int))) {
    return false;
  }
  std::memcpy(m_sources.data(), CMSG_DATA(c), m_sources.size() * sizeof(int));
  return true;
}

void
Sandbox::close_unneeded_fds() noexcept
{
  // Everything whittle holds (a directory open on the host's /, its stdio, a CI log) stays outside: only
  // the descriptors made for the sandbox survive. 0, 1 and 2 become /dev/null.
  int keep[16];
  int k = 0;
  for (const util::Fd* f : {&m_sync_write, &m_control_read, &m_status_write, &m_listener_write, &m_devnull,
                            &m_app_stdout, &m_app_stderr}) {
    if (*f && k < 16) {
      keep[k++] = f->get();
    }
  }
  int highest = 2;
  for (int i = 0; i < k; ++i) {
    highest = keep[i] > highest ? keep[i] : highest;
  }
  for (int fd : m_sources) {
    highest = fd > highest ? fd : highest;
  }
  for (int fd = 3; fd <= highest; ++fd) {
    bool kept = false;
    for (int i = 0; i < k && !kept; ++i) {
      kept = keep[i] == fd;
    }
    for (size_t i = 0; i < m_sources.size() && !kept; ++i) {
      kept = m_sources[i] == fd;
    }
    if (!kept) {
      close(fd);
    }
  }
  close_range(static_cast<unsigned>(highest) + 1, ~0U, 0);
  for (int fd = 0; fd < 3; ++fd) {
    dup2(m_devnull.get(), fd);
  }
}

void
Sandbox::release()
{
  char go = 'g';
  if (write(m_go_write.get(), &go, 1) != 1) {
    throw_errno("release sandbox init");
  }
  m_go_write.close();
}

bool
Sandbox::request_exec(int index, const std::string& command)
{
  ExecRequest req;
  req.index = index;
  std::strncpy(req.command, command.c_str(), sizeof req.command - 1);
  return write(m_control_write.get(), &req, sizeof req) == static_cast<ssize_t>(sizeof req);
}

bool
exec_argv_fits(const std::vector<std::string>& argv)
{
  size_t bytes = 0;
  for (const auto& a : argv) {
    bytes += a.size() + 1;
  }
  return !argv.empty() && argv.size() <= static_cast<size_t>(k_max_exec_args) && bytes <= k_max_exec_bytes;
}

bool
Sandbox::request_exec_argv(int index, const std::vector<std::string>& argv)
{
  if (!exec_argv_fits(argv)) {
    throw UsageError("run a probe: at most " + std::to_string(k_max_exec_args) + " words of " +
                     std::to_string(k_max_exec_bytes) + " bytes in all");
  }
  ExecRequest req;
  req.index = index;
  req.op = k_exec_argv;
  req.argc = static_cast<int>(argv.size());
  size_t at = 0;
  for (const auto& a : argv) {
    std::memcpy(req.command + at, a.c_str(), a.size() + 1);
    at += a.size() + 1;
  }
  return write(m_control_write.get(), &req, sizeof req) == static_cast<ssize_t>(sizeof req);
}

void
Sandbox::kill_exec(int index) noexcept
{
  ExecRequest req;
  req.index = index;
  req.op = k_exec_kill;
  (void)!write(m_control_write.get(), &req, sizeof req);
}

std::optional<int>
Sandbox::wait_exec(int index, int timeout_ms)
{
  for (;;) {
    pollfd p = {m_status_read.get(), POLLIN, 0};
    int rc = poll(&p, 1, timeout_ms);
    if (rc <= 0) {
      return std::nullopt;
    }
    ExecStatus st;
    if (read(m_status_read.get(), &st, sizeof st) != static_cast<ssize_t>(sizeof st)) {
      return std::nullopt;
    }
    if (st.index == index) {
      return st.status;
    }
  }
}

util::Fd
Sandbox::receive_listener(int timeout_ms)
{
  pollfd p = {m_listener_read.get(), POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) {
    return {};
  }
  char byte = 0;
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (recvmsg(m_listener_read.get(), &msg, MSG_CMSG_CLOEXEC) <= 0) {
    return {};
  }
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) {
    return {};
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return util::Fd(fd);
}

std::optional<std::string>
Sandbox::child_error()
{
  ChildError e;
  if (!m_sync_read || !read_child_error(m_sync_read.get(), e)) {
    return std::nullopt;
  }
  std::string msg = e.message;
  if (e.err != 0) {
    msg += ": ";
    msg += std::strerror(e.err);
  }
  return msg;
}

pid_t
Sandbox::spawn(const char* exe, char* const* argv, int sync, int stdout_fd, int stderr_fd) noexcept
{
  pid_t pid = fork();
  if (pid != 0) {
    return pid;
  }
  for (int sig : k_forwarded_signals) {
    ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // stdio from descriptors moved above any target first, so no dup2 overwrites a source; then the sync
  // pipe (close-on-exec) at 3 and nothing else.
  int in_fd = fcntl(m_devnull.get(), F_DUPFD_CLOEXEC, 100);
  int out_fd = fcntl(stdout_fd >= 0 ? stdout_fd : m_devnull.get(), F_DUPFD_CLOEXEC, 100);
  int err_fd = fcntl(stderr_fd >= 0 ? stderr_fd : m_devnull.get(), F_DUPFD_CLOEXEC, 100);
  int sync_high = sync >= 0 ? fcntl(sync, F_DUPFD_CLOEXEC, 100) : -1;
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || (sync >= 0 && sync_high < 0) || dup2(in_fd, 0) < 0 ||
      dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
    report_child_error(sync, errno, "set up stdio", "");
    _exit(127);
  }
  if (sync_high >= 0) {
    if (dup3(sync_high, 3, O_CLOEXEC) < 0) {
      report_child_error(sync, errno, "move the sync pipe", "");
      _exit(127);
    }
    sync = 3;
  }
  close_range(sync >= 0 ? 4 : 3, ~0U, 0);
  // Verify's constraints: the ids change first (that needs SETUID and SETGID, which the mask may lack),
  // keeping the permitted set across setuid, then the mask is applied as podman applies --cap-add.
  const bool constrained = m_plan.constraints.has_value();
  if (!constrained && restrict_capabilities(m_caps) != 0) {
    report_child_error(sync, errno, "restrict capabilities", "");
    _exit(127);
  }
  if (constrained && drop_bounding(m_caps) != 0) {
    report_child_error(sync, errno, "drop capabilities from the bounding set", "");
    _exit(127);
  }
  if (constrained && m_plan.uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    report_child_error(sync, errno, "keep capabilities across the user switch", "");
    _exit(127);
  }
  // Single-id mode denies setgroups: the app then keeps the sandbox's (empty) groups.
  if ((m_setgroups && setgroups(m_plan.groups.size(), m_plan.groups.data()) != 0) ||
      setgid(m_plan.gid) != 0) {
    report_child_error(sync, errno, "set groups of user", m_plan.user.c_str());
    _exit(127);
  }
  if (setuid(m_plan.uid) != 0) {
    report_child_error(sync, errno, "set user", m_plan.user.c_str());
    _exit(127);
  }
  if (constrained && apply_capabilities(m_caps, m_plan.uid != 0) != 0) {
    report_child_error(sync, errno, "set the capabilities of the run constraints", "");
    _exit(127);
  }
  // The id change made the process undumpable, and until the exec its memory belongs to whittle's own
  // user namespace, where a rootless whittle lacks CAP_SYS_PTRACE: without this the tracer could not
  // read the paths of the chdir and execve below. The exec sets dumpability afresh.
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
    report_child_error(sync, errno, "set dumpable", "");
    _exit(127);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    report_child_error(sync, errno, "set no_new_privs", "");
    _exit(127);
  }
  // The filter comes before the chdir, so the working directory is recorded (the image must keep it).
  if (m_filter_kind != Filter::notify && install_filter(m_filter) != 0) {
    report_child_error(sync, errno, "install seccomp filter", "");
    _exit(127);
  }
  if (apply_app_rlimits(m_plan.limits, m_plan.limits_by_cgroup) != 0) {
    report_child_error(sync, errno, "set resource limits", "");
    _exit(127);
  }
  if (chdir(m_plan.workdir.c_str()) != 0) {
    report_child_error(sync, errno, "chdir to working directory", m_plan.workdir.c_str());
    _exit(127);
  }
  // Last, as runc does with no-new-privileges: from here on only the allow list's calls run (execve
  // among them, or the exec fails with ENOSYS as it would under podman).
  if (!m_allow_filter.empty() && install_filter(m_allow_filter) != 0) {
    report_child_error(sync, errno, "install the seccomp allow list", "");
    _exit(127);
  }
  if (std::strchr(exe, '/') == nullptr) {
    exec_on_path(exe, argv, m_env.data()); // returns only when nothing on PATH could be run
  } else {
    execve(exe, argv, m_env.data());
  }
  report_child_error(sync, errno, "execute", exe);
  _exit(127);
}

void
Sandbox::init_main() noexcept
{
  int sync = m_sync_write.get();
  // The stop signals wait, blocked, until the app exists and the loop below can pass them on: a
  // pid-namespace init drops an unhandled signal, and one forwarded before the fork would reach nobody.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : k_forwarded_signals) {
    sigaddset(&stop_signals, sig);
  }
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  // If whittle dies, the init dies, and with it the namespace.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  m_go_write.close();
  m_sync_read.close();
  m_control_write.close();
  m_status_read.close();
  m_listener_read.close();
  char go = 0;
  ssize_t n;
  do {
    n = read(m_go_read.get(), &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    _exit(1);
  }
  m_go_read.close();
  // A session of its own: no controlling terminal, so nothing in the sandbox can reach whittle's
  // terminal (TIOCSTI into the invoking shell).
  if (setsid() < 0) {
    report_child_error(sync, errno, "create a new session", "");
    _exit(1);
  }
  // Root of the new user namespace (whose ids whittle has mapped by now); the credential change resets
  // the death signal, so it is set again.
  if (setresgid(0, 0, 0) != 0 || (m_setgroups && setgroups(0, nullptr) != 0) || setresuid(0, 0, 0) != 0) {
    report_child_error(sync, errno, "become root of the sandbox's user namespace", "");
    _exit(1);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // Undumpable after the id change, the init's /proc/1/ns/net (entered by HTTP probes) and memory would
  // be closed to a rootless whittle. The app cannot use this: it lacks the init's capabilities, which a
  // same-uid ptrace or /proc access also needs.
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  // A fresh anonymous session keyring (as runc gives each container): the one inherited from whittle
  // would make its keys the app's to read, since possession grants the possessor permissions.
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) {
    report_child_error(sync, errno, "join a new session keyring", "");
    _exit(1);
  }
  if (!receive_mount_sources()) {
    report_child_error(sync, errno, "receive the mount sources from whittle", "");
    _exit(1);
  }
  close_unneeded_fds();
  if (sethostname(m_plan.hostname.c_str(), m_plan.hostname.size()) != 0) {
    report_child_error(sync, errno, "set hostname", m_plan.hostname.c_str());
    _exit(1);
  }
  if (m_plan.network == Network::none && bring_up_loopback() != 0) {
    report_child_error(sync, errno, "bring up loopback", "lo");
    _exit(1);
  }
  if (!setup_root(m_plan, m_sources.data(), sync)) {
    _exit(1);
  }
  for (int fd : m_sources) {
    close(fd);
  }
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  // A pid-namespace init only receives signals it handles: forward the usual stop signals.
  for (int sig : k_forwarded_signals) {
    sigaction(sig, &sa, nullptr);
  }
  // SIGCHLD stays blocked except inside ppoll, so a child's exit always wakes the loop at once.
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigset_t wait_mask;
  sigprocmask(SIG_BLOCK, &chld, &wait_mask);
  sigdelset(&wait_mask, SIGCHLD);
  for (int sig : k_forwarded_signals) {
    sigdelset(&wait_mask, sig); // forwarded from inside ppoll, once the app has been started
  }

  if (m_filter_kind == Filter::notify) {
    // Installed here, once: every process the init starts inherits the filter and its one listener.
    int listener = install_filter_with_listener(m_filter);
    if (listener < 0) {
      report_child_error(sync, errno, "install seccomp filter with listener", "");
      _exit(1);
    }
    char byte = 'l';
    iovec iov = {&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    std::memset(control, 0, sizeof control);
    msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &listener, sizeof listener);
    if (sendmsg(m_listener_write.get(), &msg, MSG_NOSIGNAL) < 0) {
      report_child_error(sync, errno, "hand the seccomp listener to whittle", "");
      _exit(1);
    }
    close(listener);
  }
  m_listener_write.close();

  int relay = m_app_stderr ? m_app_stderr.get() : -1;
  pid_t app = spawn(m_plan.exe.c_str(), m_argv.data(), sync, m_app_stdout ? m_app_stdout.get() : -1, relay);
  m_app_stdout.close(); // only the app (and what it starts) holds the pipe: its end is the app's end
  if (app < 0) {
    report_child_error(sync, errno, "fork app", m_plan.exe.c_str());
    _exit(1);
  }
  // Probe execs that still run, by pid (a slot is freed when its probe is reaped).
  constexpr int k_probe_slots = k_max_exec_probes;
  pid_t probe_pids[k_probe_slots];
  int probe_index[k_probe_slots];
  int probes = 0;
  static ExecRequest req; // static: no allocation, not on the small init stack
  static char* words[k_max_exec_args + 1];
  static char sh[] = "/bin/sh";
  static char dash_c[] = "-c";
  bool app_done = false;
  int app_status = 0;
  bool control_open = true;
  for (;;) {
    pollfd p = {m_control_read.get(), POLLIN, 0};
    timespec tick = {1, 0};
    int rc = ppoll(&p, control_open ? 1 : 0, &tick, &wait_mask);
    if (rc > 0 && (p.revents & (POLLIN | POLLHUP)) != 0) {
      n = read(m_control_read.get(), &req, sizeof req);
      if (n == static_cast<ssize_t>(sizeof req) && req.op == k_exec_kill) {
        for (int i = 0; i < probes; ++i) {
          if (probe_index[i] == req.index) {
            kill(probe_pids[i], SIGKILL);
          }
        }
      } else if (n == static_cast<ssize_t>(sizeof req)) {
        req.command[sizeof req.command - 1] = '\0';
        char* shell_argv[] = {sh, dash_c, req.command, nullptr};
        char* const* argv = shell_argv;
        const char* exe = sh;
        if (req.op == k_exec_argv) {
          int argc = 0;
          for (size_t at = 0; argc < req.argc && argc < k_max_exec_args && at < sizeof req.command;) {
            words[argc++] = req.command + at;
            at += std::strlen(req.command + at) + 1;
          }
          words[argc] = nullptr;
          argv = words;
          exe = words[0];
        }
        pid_t pid = probes < k_probe_slots && exe != nullptr ? spawn(exe, argv, -1, relay, relay) : -1;
        if (pid < 0) {
          ExecStatus st{req.index, 127 << 8};
          (void)!write(m_status_write.get(), &st, sizeof st);
        } else {
          probe_pids[probes] = pid;
          probe_index[probes] = req.index;
          ++probes;
        }
      } else if (n <= 0) {
        control_open = false;
      }
    }
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
      if (pid == app) {
        app_done = true;
        app_status = status;
        // The container ends with its entrypoint: a daemon left behind must not hold the run open.
        kill(-1, SIGKILL);
      }
      for (int i = 0; i < probes; ++i) {
        if (probe_pids[i] == pid) {
          ExecStatus st{probe_index[i], status};
          (void)!write(m_status_write.get(), &st, sizeof st);
          --probes;
          probe_pids[i] = probe_pids[probes];
          probe_index[i] = probe_index[probes];
          break;
        }
      }
    }
    if (pid < 0 && errno == ECHILD && app_done) {
      break;
    }
  }
  if (WIFEXITED(app_status)) {
    _exit(WEXITSTATUS(app_status));
  }
  _exit(128 + WTERMSIG(app_status));
}

} // namespace whittle::trace
