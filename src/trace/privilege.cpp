#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/privilege.hpp>

namespace whittle::trace {

namespace {

constexpr uint32_t k_unchanged = 0xffffffffu; // (uid_t)-1: "leave as is"
constexpr size_t k_max_groups = 65536;        // NGROUPS_MAX

uint32_t
id_arg(uint64_t v)
{
  return static_cast<uint32_t>(v);
}

std::string
owner_text(uint32_t uid, uint32_t gid)
{
  std::string out = uid == k_unchanged ? "" : std::to_string(uid);
  if (gid != k_unchanged) {
    out += ":" + std::to_string(gid);
  }
  return out;
}

bool
in_groups(const CallerIds& ids, uint32_t gid)
{
  return gid == ids.fsgid || gid == ids.egid ||
         std::find(ids.groups.begin(), ids.groups.end(), gid) != ids.groups.end();
}

// set*uid / set*gid: the first id argument that is not "unchanged" and differs from `current`.
std::optional<std::string>
id_change(const SyscallInfo& s, const uint64_t args[6], int count, uint32_t current)
{
  for (int i = 0; i < count; ++i) {
    uint32_t id = id_arg(args[i]);
    if (id != k_unchanged && id != current) {
      return std::string(s.name) + " " + std::to_string(id);
    }
  }
  return std::nullopt;
}

std::optional<std::string>
setgroups_change(const uint64_t args[6], const CallerIds& ids, const TraceeAccess& access)
{
  size_t n = static_cast<size_t>(args[0]);
  if (n > k_max_groups) {
    return std::nullopt; // EINVAL
  }
  std::vector<uint32_t> list(n);
  if (n > 0 && (!access.read || !access.read(args[1], list.data(), n * sizeof(uint32_t)))) {
    return std::nullopt;
  }
  std::vector<uint32_t> wanted = list;
  std::vector<uint32_t> current = ids.groups;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::sort(current.begin(), current.end());
  current.erase(std::unique(current.begin(), current.end()), current.end());
  if (wanted == current) {
    return std::nullopt;
  }
  std::string text;
  for (size_t i = 0; i < list.size() && i < 8; ++i) {
    text += (i == 0 ? "" : ",") + std::to_string(list[i]);
  }
  if (list.size() > 8) {
    text += ",...";
  }
  return list.empty() ? std::string("setgroups (none)") : "setgroups " + text;
}

std::optional<std::string>
chown_change(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids, const TraceeAccess& access)
{
  // chown/lchown(path, uid, gid), fchown(fd, uid, gid), fchownat(dirfd, path, uid, gid, flags).
  bool at = std::strcmp(s.name, "fchownat") == 0;
  uint32_t uid = id_arg(at ? args[2] : args[1]);
  uint32_t gid = id_arg(at ? args[3] : args[2]);
  bool other_owner = uid != k_unchanged && uid != ids.fsuid;
  bool other_group = gid != k_unchanged && !in_groups(ids, gid);
  if (!other_owner && !other_group) {
    return std::nullopt;
  }
  std::string path;
  if (access.path) {
    if (at) {
      path = access.path(static_cast<int>(args[0]), args[1]);
    } else if (std::strcmp(s.name, "fchown") == 0) {
      path = access.path(static_cast<int>(args[0]), 0);
    } else {
      path = access.path(AT_FDCWD, args[0]);
    }
  }
  return "chown " + (path.empty() ? std::string("a file") : path) + " to " + owner_text(uid, gid);
}

std::optional<std::string>
chmod_other(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids, const TraceeAccess& access)
{
  // chmod(path, mode), fchmod(fd, mode), fchmodat/fchmodat2(dirfd, path, mode, ...).
  if (ids.euid != 0 || !access.owner) {
    return std::nullopt; // a non-root caller may only chmod its own files: no capability makes it work
  }
  bool at = std::strcmp(s.name, "fchmodat") == 0 || std::strcmp(s.name, "fchmodat2") == 0;
  bool by_fd = std::strcmp(s.name, "fchmod") == 0;
  int dirfd = at || by_fd ? static_cast<int>(args[0]) : AT_FDCWD;
  uint64_t addr = by_fd ? 0 : at ? args[1] : args[0];
  std::optional<uint32_t> owner = access.owner(dirfd, addr);
  if (!owner || *owner == ids.fsuid) {
    return std::nullopt;
  }
  std::string path = access.path ? access.path(dirfd, addr) : "";
  return "chmod " + (path.empty() ? std::string("a file") : path) + " owned by " + std::to_string(*owner);
}

std::optional<std::string>
bind_port(const uint64_t args[6], const TraceeAccess& access)
{
  size_t len = static_cast<size_t>(args[2]);
  sockaddr_in6 addr = {};
  if (len < sizeof(sa_family_t) + sizeof(in_port_t) || !access.read) {
    return std::nullopt;
  }
  len = std::min(len, sizeof addr);
  if (!access.read(args[1], &addr, len)) {
    return std::nullopt;
  }
  in_port_t port = 0;
  if (addr.sin6_family == AF_INET6) {
    port = ntohs(addr.sin6_port);
  } else if (addr.sin6_family == AF_INET) {
    sockaddr_in in4 = {};
    std::memcpy(&in4, &addr, std::min(len, sizeof in4));
    port = ntohs(in4.sin_port);
  } else {
    return std::nullopt;
  }
  if (port == 0 || port >= 1024) {
    return std::nullopt;
  }
  return "bind port " + std::to_string(port);
}

} // namespace

std::optional<CallerIds>
parse_caller_ids(const std::string& status)
{
  std::istringstream in(status);
  std::string line;
  CallerIds ids;
  bool have_uid = false, have_gid = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "Uid:") {
      uint32_t real = 0, saved = 0;
      have_uid = static_cast<bool>(fields >> real >> ids.euid >> saved >> ids.fsuid);
    } else if (key == "Gid:") {
      uint32_t real = 0, saved = 0;
      have_gid = static_cast<bool>(fields >> real >> ids.egid >> saved >> ids.fsgid);
    } else if (key == "CapEff:") {
      std::string hex;
      fields >> hex;
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
      if (ec == std::errc() && end == hex.data() + hex.size()) {
        ids.cap_eff = v;
      }
    } else if (key == "Groups:") {
      uint32_t g = 0;
      while (fields >> g) {
        ids.groups.push_back(g);
      }
    }
  }
  if (!have_uid || !have_gid) {
    return std::nullopt;
  }
  return ids;
}

std::optional<CallerIds>
read_caller_ids(pid_t pid)
{
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) {
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::optional<CallerIds> ids = parse_caller_ids(text.str());
  if (!ids) {
    return ids;
  }
  // /proc shows ids as whittle's namespace sees them; the call's arguments are ids of the caller's own
  // user namespace (the sandbox's), so translate back through the caller's maps.
  auto map_of = [pid](const char* file) {
    std::ifstream m("/proc/" + std::to_string(pid) + "/" + file);
    std::stringstream t;
    t << m.rdbuf();
    return parse_id_map(t.str());
  };
  auto uids = map_of("uid_map");
  auto gids = map_of("gid_map");
  ids->euid = inner_id(uids, ids->euid);
  ids->fsuid = inner_id(uids, ids->fsuid);
  ids->egid = inner_id(gids, ids->egid);
  ids->fsgid = inner_id(gids, ids->fsgid);
  for (auto& g : ids->groups) {
    g = inner_id(gids, g);
  }
  return ids;
}

std::optional<std::string>
needs_root_reason(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids,
                  const TraceeAccess& access)
{
  if ((s.kind & k_sys_privilege) == 0) {
    return std::nullopt;
  }
  std::string name = s.name;
  try {
    if (name == "bind") {
      return bind_port(args, access);
    }
    if (name == "chown" || name == "fchown" || name == "lchown" || name == "fchownat") {
      return chown_change(s, args, ids, access);
    }
    if (name == "chmod" || name == "fchmod" || name == "fchmodat" || name == "fchmodat2") {
      return chmod_other(s, args, ids, access);
    }
    // An unprivileged caller may only swap among its own ids, unless it kept the capability across its
    // own uid switch (setpriv changes the uid first, then the groups).
    bool uid_call = name == "setuid" || name == "setreuid" || name == "setresuid";
    uint64_t needed = uint64_t{1} << (uid_call ? CAP_SETUID : CAP_SETGID);
    if (ids.euid != 0 && (ids.cap_eff & needed) == 0) {
      return std::nullopt;
    }
    if (name == "setuid") {
      return id_change(s, args, 1, ids.euid);
    }
    if (name == "setreuid") {
      return id_change(s, args, 2, ids.euid);
    }
    if (name == "setresuid") {
      return id_change(s, args, 3, ids.euid);
    }
    if (name == "setgid") {
      return id_change(s, args, 1, ids.egid);
    }
    if (name == "setregid") {
      return id_change(s, args, 2, ids.egid);
    }
    if (name == "setresgid") {
      return id_change(s, args, 3, ids.egid);
    }
    if (name == "setgroups") {
      return setgroups_change(args, ids, access);
    }
  } catch (const std::exception&) {
    return std::nullopt; // allocation failure: the reason is a hint, never worth failing the trace
  }
  return std::nullopt;
}

const char*
capability_of(const SyscallInfo& s)
{
  std::string name = s.name;
  if (name == "bind") {
    return "NET_BIND_SERVICE";
  }
  if (name == "chown" || name == "fchown" || name == "lchown" || name == "fchownat") {
    return "CHOWN";
  }
  if (name == "chmod" || name == "fchmod" || name == "fchmodat" || name == "fchmodat2") {
    return "FOWNER";
  }
  if (name == "setuid" || name == "setreuid" || name == "setresuid") {
    return "SETUID";
  }
  if (name == "setgid" || name == "setregid" || name == "setresgid" || name == "setgroups") {
    return "SETGID";
  }
  return nullptr;
}

std::optional<std::string>
switched_user(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids)
{
  if (ids.euid != 0) {
    return std::nullopt;
  }
  std::string name = s.name;
  // The effective uid the call sets: setuid's only argument, the second of setreuid and setresuid (the
  // first when the second is left as is).
  uint32_t uid = k_unchanged;
  if (name == "setuid") {
    uid = id_arg(args[0]);
  } else if (name == "setreuid" || name == "setresuid") {
    uid = id_arg(args[1]) != k_unchanged ? id_arg(args[1]) : id_arg(args[0]);
  } else {
    return std::nullopt;
  }
  if (uid == k_unchanged || uid == 0) {
    return std::nullopt;
  }
  return std::to_string(uid) + ":" + std::to_string(ids.egid);
}

std::optional<uint32_t>
switched_group(const SyscallInfo& s, const uint64_t args[6], const CallerIds& ids)
{
  if (ids.euid != 0 && (ids.cap_eff & (uint64_t{1} << CAP_SETGID)) == 0) {
    return std::nullopt;
  }
  std::string name = s.name;
  uint32_t gid = k_unchanged;
  if (name == "setgid") {
    gid = id_arg(args[0]);
  } else if (name == "setregid" || name == "setresgid") {
    gid = id_arg(args[1]) != k_unchanged ? id_arg(args[1]) : id_arg(args[0]);
  } else {
    return std::nullopt;
  }
  if (gid == k_unchanged || gid == 0) {
    return std::nullopt;
  }
  return gid;
}

} // namespace whittle::trace
