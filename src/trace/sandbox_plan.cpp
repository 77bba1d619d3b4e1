#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/path_resolver.hpp>
#include <whittle/trace/sandbox_plan.hpp>
#include <whittle/util/env_list.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/path_search.hpp>

namespace whittle::trace {

namespace {

bool
all_digits(const std::string& s)
{
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

std::vector<std::string>
split(const std::string& s, char sep)
{
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Reads an image file (resolved inside the root); "" when absent.
std::string
read_image_file(const RootResolver& root, const std::string& path)
{
  Resolved r = root.resolve(path, Follow::yes);
  if (!r.exists || r.is_dir || r.special) {
    return "";
  }
  // A regular file only (a FIFO would block, a device run its driver), and bounded.
  util::Fd fd = root.open_regular(r.path);
  return fd ? util::read_up_to(fd.get(), 16u << 20) : "";
}

// An id field: decimal, below 4294967295 (which is (uid_t)-1, "no change" to the kernel). Throws BadInput
// naming where it came from.
uint32_t
parse_id(const std::string& text, const std::string& where)
{
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == UINT32_MAX) {
    throw BadInput(where + ": id `" + text + "` is out of range (0 to 4294967294)");
  }
  return v;
}

struct Ids
{
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// One line of /etc/passwd or /etc/group, split, with its number for errors.
struct Line
{
  std::vector<std::string> f;
  std::string where;
};

std::vector<Line>
lines_of(const std::string& text, const std::string& file)
{
  std::vector<Line> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    out.push_back({split(line, ':'), "the image's " + file + " line " + std::to_string(n)});
  }
  return out;
}

Ids
resolve_user(const RootResolver& root, const std::string& spec)
{
  Ids ids;
  if (spec.empty()) {
    return ids;
  }
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  bool numeric = all_digits(user);
  std::string user_name;
  bool found = numeric;
  if (numeric) {
    ids.uid = parse_id(user, "resolve user `" + spec + "`");
  }
  for (const auto& l : lines_of(read_image_file(root, "/etc/passwd"), "/etc/passwd")) {
    const auto& f = l.f;
    if (f.size() < 4 || !all_digits(f[2]) || !all_digits(f[3])) {
      continue;
    }
    if ((!numeric && f[0] == user) || (numeric && f[2] == user)) {
      ids.uid = parse_id(f[2], l.where);
      ids.gid = parse_id(f[3], l.where);
      user_name = f[0];
      found = true;
      break;
    }
  }
  if (!found) {
    throw BadInput("resolve user `" + user + "`: no such user in the image's /etc/passwd");
  }
  std::vector<Line> groups = lines_of(read_image_file(root, "/etc/group"), "/etc/group");
  if (!group.empty()) {
    if (all_digits(group)) {
      ids.gid = parse_id(group, "resolve group `" + spec + "`");
    } else {
      bool gfound = false;
      for (const auto& l : groups) {
        if (l.f.size() >= 3 && l.f[0] == group && all_digits(l.f[2])) {
          ids.gid = parse_id(l.f[2], l.where);
          gfound = true;
          break;
        }
      }
      if (!gfound) {
        throw BadInput("resolve group `" + group + "`: no such group in the image's /etc/group");
      }
    }
  }
  ids.groups.push_back(ids.gid);
  if (!user_name.empty() && group.empty()) {
    for (const auto& l : groups) {
      if (l.f.size() < 4 || !all_digits(l.f[2])) {
        continue;
      }
      for (const auto& member : split(l.f[3], ',')) {
        if (member == user_name) {
          gid_t g = parse_id(l.f[2], l.where);
          if (g != ids.gid) {
            ids.groups.push_back(g);
          }
        }
      }
    }
  }
  return ids;
}

// The program the app's exec will run, found in the extracted root as execvp would find it (the PATH of
// `env`, relative entries below `workdir`). A name with '/' is returned as it is: the exec reports a
// missing file.
std::string
find_program(const RootResolver& root, const std::string& prog, const std::vector<std::string>& env,
             const std::string& workdir)
{
  if (prog.find('/') != std::string::npos) {
    return prog;
  }
  std::string path = util::env_lookup(env, "PATH").value_or(util::k_default_path);
  auto is_executable = [&](const std::string& candidate) {
    Resolved r = root.resolve(candidate, Follow::yes);
    if (!r.exists || r.is_dir || r.special) {
      return false;
    }
    struct stat st;
    util::Fd fd = root.open_regular(r.path);
    return fd && ::fstat(fd.get(), &st) == 0 && (st.st_mode & 0111) != 0;
  };
  if (auto found = util::find_on_path(prog, path, workdir, is_executable)) {
    return *found;
  }
  throw BadInput("find program `" + prog + "`: not found in the image's PATH (" + path + ")");
}

void
write_text(const std::string& path, const std::string& text)
{
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    throw Error("write `" + path + "`: failed");
  }
}

std::string
resolv_conf(Network net)
{
  if (net == Network::host) {
    std::ifstream in("/etc/resolv.conf");
    std::stringstream ss;
    ss << in.rdbuf();
    if (!ss.str().empty()) {
      return ss.str();
    }
  }
  // No network: a resolver that answers nothing, quickly.
  return "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
}

std::string
rel(const std::string& image_path)
{
  return image_path.size() > 1 ? image_path.substr(1) : ".";
}

std::string
flag_words(unsigned long flags)
{
  std::string out;
  for (auto [bit, word] : {std::pair{MS_RDONLY, "ro"}, std::pair{MS_NOSUID, "nosuid"},
                           std::pair{MS_NODEV, "nodev"}, std::pair{MS_NOEXEC, "noexec"}}) {
    if ((flags & bit) != 0) {
      out += (out.empty() ? " " : ",") + std::string(word);
    }
  }
  return out;
}

} // namespace

const std::vector<std::string> k_readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                   "/proc/sysrq-trigger"};
const std::vector<std::string> k_masked_paths = {
    "/proc/acpi",       "/proc/asound",        "/proc/interrupts",  "/proc/kcore",
    "/proc/keys",       "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
    "/proc/timer_list", "/proc/timer_stats",   "/sys/firmware",     "/sys/devices/virtual/powercap",
};

BindMount
parse_bind_mount(const std::string& spec)
{
  auto parts = split(spec, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() ||
      (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw")) {
    throw UsageError("--mount `" + spec + "` is not HOST:CONTAINER[:ro]");
  }
  if (parts[1][0] != '/') {
    throw UsageError("--mount `" + spec + "`: the container path must be absolute");
  }
  BindMount m;
  m.host = parts[0];
  m.target = util::clamp_to_root(parts[1]);
  m.read_only = parts.size() == 3 && parts[2] == "ro";
  if (m.target == "/") {
    throw UsageError("--mount `" + spec + "`: cannot mount over the root");
  }
  return m;
}

SandboxPlan
make_plan(const SandboxOptions& o)
{
  if (o.argv.empty()) {
    throw UsageError("the image has no Entrypoint or Cmd: give a command after `--`");
  }
  RootResolver root(o.rootfs, RootResolver::default_special());
  SandboxPlan p;
  p.rootfs = o.rootfs;
  p.argv = o.argv;
  p.env = o.env;
  p.workdir = o.workdir.empty() ? "/" : util::clamp_to_root(o.workdir);
  p.hostname = o.hostname;
  p.network = o.network;
  Ids ids = resolve_user(root, o.user);
  p.uid = ids.uid;
  p.gid = ids.gid;
  p.groups = ids.groups;
  p.user = std::to_string(p.uid) + ":" + std::to_string(p.gid);
  p.exe = find_program(root, o.argv[0], o.env, p.workdir);
  if (!util::env_lookup(p.env, "PATH")) {
    p.env.push_back(std::string("PATH=") + util::k_default_path);
  }
  if (!util::env_lookup(p.env, "HOSTNAME")) {
    p.env.push_back("HOSTNAME=" + p.hostname);
  }

  write_text(o.state_dir + "/hosts",
             "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + p.hostname +
                 "\n");
  write_text(o.state_dir + "/resolv.conf", resolv_conf(o.network));
  write_text(o.state_dir + "/hostname", p.hostname + "\n");

  auto add = [&p](OpKind kind, std::string source, std::string target, unsigned long flags = 0,
                  std::string data = "", bool in_image = false, bool is_dir = true) {
    SetupOp op;
    op.kind = kind;
    op.source = std::move(source);
    op.target = std::move(target);
    op.flags = flags;
    op.data = std::move(data);
    op.must_exist_in_image = in_image;
    op.target_is_dir = is_dir;
    p.ops.push_back(std::move(op));
  };
  constexpr unsigned long k_nosuid_nodev = MS_NOSUID | MS_NODEV;
  constexpr unsigned long k_ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  add(OpKind::mount_fs, "proc", "proc", k_nosuid_nodev | MS_NOEXEC, "", true);
  for (const auto& path : k_readonly_paths) {
    if (path.rfind("/proc/", 0) == 0) {
      add(OpKind::readonly, "", path.substr(1));
      p.ops.back().optional = true;
    }
  }
  // nodev too: the device binds on it are mounts of their own, with their own flags.
  add(OpKind::mount_fs, "tmpfs", "dev", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=755,size=65536k", true);
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    add(OpKind::make_file, "", std::string("dev/") + dev, 0, "", false, false);
    // Device binds keep their devices usable (no nodev); nothing on them runs or gains ids.
    add(OpKind::bind, std::string("/dev/") + dev, std::string("dev/") + dev, MS_NOSUID | MS_NOEXEC, "", false,
        false);
  }
  add(OpKind::make_dir, "", "dev/pts");
  add(OpKind::mount_fs, "devpts", "dev/pts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
  add(OpKind::symlink, "pts/ptmx", "dev/ptmx");
  add(OpKind::make_dir, "", "dev/shm");
  add(OpKind::mount_fs, "tmpfs", "dev/shm", k_nosuid_nodev | MS_NOEXEC, "mode=1777,size=65536k");
  add(OpKind::make_dir, "", "dev/mqueue");
  add(OpKind::symlink, "/proc/self/fd", "dev/fd");
  add(OpKind::symlink, "/proc/self/fd/0", "dev/stdin");
  add(OpKind::symlink, "/proc/self/fd/1", "dev/stdout");
  add(OpKind::symlink, "/proc/self/fd/2", "dev/stderr");
  if (o.network == Network::host) {
    // A new sysfs shows the network namespace of its mounter, and the kernel lets only a user namespace
    // owning that namespace mount one: with the host's network the sandbox binds the host's /sys instead.
    add(OpKind::bind, "/sys", "sys", k_ro, "", true);
  } else {
    add(OpKind::mount_fs, "sysfs", "sys", k_ro, "", true);
  }
  for (const auto& path : k_masked_paths) {
    add(OpKind::mask, "", path.substr(1));
    p.ops.back().optional = true;
  }
  if (o.constraints) {
    for (const auto& path : o.constraints->tmpfs_paths) {
      if (path.empty() || path[0] != '/') {
        throw UsageError("tmpfs path `" + path + "` is not absolute");
      }
      std::string target = util::clamp_to_root(path);
      if (target == "/") {
        throw UsageError("a tmpfs cannot replace the root; use a read-write root instead");
      }
      Resolved r = root.resolve(target, Follow::yes);
      if (r.special) {
        throw UsageError("tmpfs path `" + path + "` is one of the sandbox's own mounts (/proc, /dev, /sys)");
      }
      if (r.exists && !r.is_dir) {
        throw UsageError("tmpfs path `" + path + "` is not a directory in the image");
      }
      // podman (runc) makes a missing directory and mounts a tmpfs of the kernel's default mode, 1777.
      add(OpKind::tmpfs, "tmpfs", rel(target), 0, r.exists ? "" : "mode=1777", !r.exists);
    }
  }
  for (const char* f : {"hosts", "resolv.conf", "hostname"}) {
    add(OpKind::bind, o.state_dir + "/" + f, std::string("etc/") + f, k_nosuid_nodev, "", true, false);
  }
  for (const auto& m : o.mounts) {
    struct stat st;
    if (stat(m.host.c_str(), &st) != 0) {
      throw UsageError(errno_message("--mount: stat `" + m.host + "`", errno));
    }
    add(OpKind::bind, m.host, rel(m.target), k_nosuid_nodev | (m.read_only ? MS_RDONLY : 0), "", true,
        S_ISDIR(st.st_mode));
    p.special.push_back(m.target);
  }
  p.id_shift = o.id_shift;
  p.constraints = o.constraints;
  p.idmap_rootfs = o.idmap_rootfs;
  return p;
}

std::string
describe(const SandboxPlan& p)
{
  std::ostringstream out;
  for (const auto& op : p.ops) {
    switch (op.kind) {
    case OpKind::mount_fs:
      out << "mount " << op.source << " /" << op.target << (op.data.empty() ? "" : " " + op.data)
          << flag_words(op.flags) << "\n";
      break;
    case OpKind::bind:
      out << "bind " << op.source << " /" << op.target << flag_words(op.flags) << "\n";
      break;
    case OpKind::readonly:
      out << "readonly /" << op.target << "\n";
      break;
    case OpKind::mask:
      out << "mask /" << op.target << "\n";
      break;
    case OpKind::make_dir:
      out << "mkdir /" << op.target << "\n";
      break;
    case OpKind::make_file:
      out << "touch /" << op.target << "\n";
      break;
    case OpKind::symlink:
      out << "symlink /" << op.target << " -> " << op.source << "\n";
      break;
    case OpKind::tmpfs:
      out << "tmpfs /" << op.target << " copy-up" << (op.data.empty() ? "" : " " + op.data)
          << " nosuid,nodev\n";
      break;
    }
  }
  if (p.constraints) {
    const RunConstraints& c = *p.constraints;
    char caps[32];
    std::snprintf(caps, sizeof caps, "%#llx", static_cast<unsigned long long>(c.capabilities));
    out << "root " << (c.read_only_root ? "read-only" : "read-write") << "\ncapabilities " << caps << "\n";
    if (c.seccomp_allow) {
      out << "seccomp allow " << c.seccomp_allow->size() << " calls, others ENOSYS\n";
    }
  }
  if (p.id_shift.active()) {
    out << "uid_map " << id_map_line(p.id_shift) << "gid_map " << id_map_line(p.id_shift);
  }
  if (p.idmap_rootfs) {
    out << "rootfs idmapped by the uid_map\n";
  }
  out << "user " << p.user << "\nexec " << p.exe;
  for (size_t i = 1; i < p.argv.size(); ++i) {
    out << " " << p.argv[i];
  }
  out << "\nworkdir " << p.workdir << "\nnetwork " << (p.network == Network::host ? "host" : "none") << "\n";
  return out.str();
}

} // namespace whittle::trace
