#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <whittle/trace/profile.hpp>
#include <whittle/util/bounded_read.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::trace {

namespace {

using nlohmann::json;
// nlohmann's ordered_json keeps our key order, so a written document reads in schema order.
using ojson = nlohmann::ordered_json;

// Length of the valid UTF-8 sequence at s[i] (RFC 3629, as strict as nlohmann's writer: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 when the byte there starts none.
size_t
utf8_length(const std::string& s, size_t i)
{
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto in = [&](size_t k, unsigned lo, unsigned hi) { return k < s.size() && at(k) >= lo && at(k) <= hi; };
  unsigned c = at(i);
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    return in(i + 1, 0x80, 0xBF) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = c == 0xED ? 0x9F : 0xBF;
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

int
hex_digit(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// A string value as written: escaped (see escape_profile_string).
ojson
text(const std::string& bytes)
{
  return ojson(escape_profile_string(bytes));
}

ojson
texts(const std::vector<std::string>& list)
{
  ojson out = ojson::array();
  for (const auto& s : list) {
    out.push_back(escape_profile_string(s));
  }
  return out;
}

struct AccessName
{
  Access access;
  const char* name;
};

// Serialisation order of the access words.
constexpr AccessName k_access_names[] = {
    {Access::read, "read"},     {Access::write, "write"},       {Access::exec, "exec"},
    {Access::stat, "stat"},     {Access::readlink, "readlink"}, {Access::create, "create"},
    {Access::remove, "delete"}, {Access::dir, "dir"},           {Access::missing, "missing"},
};

ojson
access_json(uint16_t bits)
{
  ojson out = ojson::array();
  for (const auto& an : k_access_names) {
    if ((bits & static_cast<uint16_t>(an.access)) != 0) {
      out.push_back(an.name);
    }
  }
  return out;
}

ojson
files_json(const std::map<std::string, FileRecord>& files)
{
  ojson out = ojson::array();
  for (const auto& [path, rec] : files) {
    ojson f;
    f["path"] = text(path);
    f["access"] = access_json(rec.access);
    if (!rec.link_target.empty()) {
      f["link_target"] = text(rec.link_target);
    }
    out.push_back(std::move(f));
  }
  return out;
}

ojson
files_json(const std::vector<FileRecord>& files)
{
  std::map<std::string, FileRecord> sorted;
  for (const auto& f : files) {
    auto [it, inserted] = sorted.emplace(f.path, f);
    if (!inserted) {
      it->second.access |= f.access;
      if (it->second.link_target.empty()) {
        it->second.link_target = f.link_target;
      }
    }
  }
  return files_json(sorted);
}

// Appends v.dump(2) as it reads `depth` levels deep in a dump(2) of the enclosing document (JSON text
// holds no raw newline inside a string, so each newline starts a line to indent).
void
append_dumped(std::string& out, const ojson& v, int depth)
{
  const std::string pad(static_cast<size_t>(depth) * 2, ' ');
  for (char c : v.dump(2)) {
    out += c;
    if (c == '\n') {
      out += pad;
    }
  }
}

// Where the serialised text goes, a piece at a time.
using Sink = std::function<void(const std::string&)>;

// Appends a member array of one object per entry of `entries`, each made by `to_json`, as dump(2) would;
// hands `out` to `sink` whenever it passes 1 MiB, so the text of a million entries is never held whole.
template <typename Map, typename ToJson>
void
append_entries(std::string& out, const Map& entries, ToJson to_json, const Sink& sink)
{
  if (entries.empty()) {
    out += "[]";
    return;
  }
  out += "[";
  bool first = true;
  for (const auto& entry : entries) {
    out += first ? "\n    " : ",\n    ";
    first = false;
    append_dumped(out, to_json(entry), 2);
    if (out.size() > (1u << 20)) {
      sink(out);
      out.clear();
    }
  }
  out += "\n  ]";
}

[[noreturn]] void
bad(const std::string& what, const std::string& cause)
{
  throw BadInput("parse profile `" + what + "`: " + cause);
}

const json&
field(const json& obj, const char* key, const std::string& what, const std::string& where)
{
  auto it = obj.find(key);
  if (it == obj.end()) {
    bad(what, where + " lacks \"" + key + "\"");
  }
  return *it;
}

std::string
get_string(const json& obj, const char* key, const std::string& what, const std::string& where,
           bool required = false)
{
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) {
      bad(what, where + " lacks \"" + key + "\"");
    }
    return "";
  }
  if (!it->is_string()) {
    bad(what, where + ": \"" + key + "\" is not a string");
  }
  return unescape_profile_string(it->get<std::string>());
}

int64_t
get_int(const json& obj, const char* key, int64_t fallback, const std::string& what, const std::string& where)
{
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return fallback;
  }
  if (!it->is_number_integer()) {
    bad(what, where + ": \"" + key + "\" is not an integer");
  }
  return it->get<int64_t>();
}

std::vector<std::string>
get_strings(const json& obj, const char* key, const std::string& what, const std::string& where)
{
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    bad(what, where + ": \"" + key + "\" is not an array");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      bad(what, where + ": \"" + key + "\" holds a non-string");
    }
    out.push_back(unescape_profile_string(v.get<std::string>()));
  }
  return out;
}

uint16_t
parse_access_list(const json& arr, const std::string& what, const std::string& where)
{
  if (!arr.is_array()) {
    bad(what, where + ": \"access\" is not an array");
  }
  uint16_t bits = 0;
  for (const auto& v : arr) {
    if (!v.is_string()) {
      bad(what, where + ": \"access\" holds a non-string");
    }
    auto a = parse_access(v.get<std::string>());
    if (!a) {
      bad(what, where + ": unknown access `" + v.get<std::string>() + "`");
    }
    bits |= static_cast<uint16_t>(*a);
  }
  return bits;
}

FileRecord
parse_file(const json& f, const std::string& what, size_t index, bool canonical)
{
  std::string where = "file #" + std::to_string(index);
  if (!f.is_object()) {
    bad(what, where + " is not an object");
  }
  FileRecord rec;
  rec.path = get_string(f, "path", what, where, true);
  where += " `" + rec.path + "`";
  if (canonical) {
    auto clean = util::clean_in_root(rec.path);
    if (rec.path.empty() || rec.path[0] != '/' || !clean || *clean != rec.path) {
      bad(what, where + ": path is not a canonical absolute image path");
    }
  }
  rec.access = parse_access_list(field(f, "access", what, where), what, where);
  rec.link_target = get_string(f, "link_target", what, where);
  return rec;
}

std::vector<FileRecord>
parse_files(const json& obj, const char* key, const std::string& what, bool canonical)
{
  std::vector<FileRecord> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    bad(what, std::string("\"") + key + "\" is not an array");
  }
  size_t i = 0;
  for (const auto& f : *it) {
    out.push_back(parse_file(f, what, i++, canonical));
  }
  return out;
}

ProbeResult
parse_probe(const json& p, const std::string& what, const std::string& where)
{
  if (!p.is_object()) {
    bad(what, where + " is not an object");
  }
  ProbeResult r;
  r.kind = get_string(p, "kind", what, where, true);
  if (r.kind != "http" && r.kind != "exec" && r.kind != "healthcheck") {
    bad(what, where + ": unknown probe kind `" + r.kind + "`");
  }
  r.target = get_string(p, "target", what, where);
  r.status = static_cast<int>(get_int(p, "status", 0, what, where));
  r.body_sha256 = get_string(p, "body_sha256", what, where);
  auto ok = p.find("ok");
  if (ok != p.end() && !ok->is_null()) {
    if (!ok->is_boolean()) {
      bad(what, where + ": \"ok\" is not a boolean");
    }
    r.ok = ok->get<bool>();
  }
  r.files = parse_files(p, "files", what, true);
  return r;
}

RunRecord
parse_run(const json& r, const std::string& what, size_t index)
{
  std::string where = "run #" + std::to_string(index);
  if (!r.is_object()) {
    bad(what, where + " is not an object");
  }
  RunRecord run;
  run.argv = get_strings(r, "argv", what, where);
  run.env = get_strings(r, "env", what, where);
  run.workdir = get_string(r, "workdir", what, where);
  run.user = get_string(r, "user", what, where);
  run.exit_code = static_cast<int>(get_int(r, "exit_code", -1, what, where));
  run.signal = static_cast<int>(get_int(r, "signal", 0, what, where));
  run.duration_ms = get_int(r, "duration_ms", 0, what, where);
  run.stdout_sha256 = get_string(r, "stdout_sha256", what, where);
  run.needs_root = get_strings(r, "needs_root", what, where);
  run.switched_user = get_string(r, "switched_user", what, where);
  run.capabilities = get_strings(r, "capabilities", what, where);
  auto refused = r.find("refused");
  if (refused != r.end() && !refused->is_null()) {
    if (!refused->is_object()) {
      bad(what, where + ": \"refused\" is not an object");
    }
    for (const auto& [label, count] : refused->items()) {
      if (!count.is_number_unsigned() && !(count.is_number_integer() && count.get<int64_t>() >= 0)) {
        bad(what, where + ": \"refused\" count of `" + label + "` is not a non-negative integer");
      }
      run.refused[unescape_profile_string(label)] = count.get<uint64_t>();
    }
  }
  auto probes = r.find("probes");
  if (probes != r.end() && !probes->is_null()) {
    if (!probes->is_array()) {
      bad(what, where + ": \"probes\" is not an array");
    }
    size_t i = 0;
    for (const auto& p : *probes) {
      run.probes.push_back(parse_probe(p, what, where + " probe #" + std::to_string(i++)));
    }
  }
  return run;
}

} // namespace

std::string
to_string(Access a)
{
  for (const auto& an : k_access_names) {
    if (an.access == a) {
      return an.name;
    }
  }
  return "unknown";
}

std::optional<Access>
parse_access(const std::string& s)
{
  for (const auto& an : k_access_names) {
    if (s == an.name) {
      return an.access;
    }
  }
  return std::nullopt;
}

std::string
escape_profile_string(const std::string& bytes)
{
  static const char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    if (bytes[i] == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    size_t n = utf8_length(bytes, i);
    if (n == 0) {
      auto b = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out += k_hex[b >> 4];
      out += k_hex[b & 0xF];
      ++i;
      continue;
    }
    out.append(bytes, i, n);
    i += n;
  }
  return out;
}

std::string
unescape_profile_string(const std::string& text)
{
  if (text.find('\\') == std::string::npos) {
    return text;
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' && hex_digit(text[i + 2]) >= 0 &&
               hex_digit(text[i + 3]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 2]) * 16 + hex_digit(text[i + 3]));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

void
Profile::add(const std::string& path, Access a, const std::string& link_target)
{
  FileRecord& rec = files[path];
  rec.path = path;
  rec.access |= static_cast<uint16_t>(a);
  if (!link_target.empty()) {
    rec.link_target = link_target;
  }
}

Profile
parse_profile(const std::string& text, const std::string& what)
{
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    bad(what, std::string("invalid JSON: ") + e.what());
  }
  if (!doc.is_object()) {
    bad(what, "top level is not an object");
  }
  Profile p;
  p.schema = get_string(doc, "schema", what, "profile", true);
  if (p.schema != "whittle/profile/v1") {
    bad(what, "unsupported schema `" + p.schema + "` (expected whittle/profile/v1)");
  }
  auto image = doc.find("image");
  if (image != doc.end() && !image->is_null()) {
    if (!image->is_object()) {
      bad(what, "\"image\" is not an object");
    }
    p.image_ref = get_string(*image, "ref", what, "image");
    p.manifest_digest = get_string(*image, "manifest_digest", what, "image");
    p.platform = get_string(*image, "platform", what, "image");
  }
  auto runs = doc.find("runs");
  if (runs != doc.end() && !runs->is_null()) {
    if (!runs->is_array()) {
      bad(what, "\"runs\" is not an array");
    }
    size_t i = 0;
    for (const auto& r : *runs) {
      p.runs.push_back(parse_run(r, what, i++));
    }
  }
  for (auto& f : parse_files(doc, "files", what, true)) {
    if (p.files.count(f.path) != 0) {
      bad(what, "file `" + f.path + "` is listed twice");
    }
    std::string path = f.path;
    p.files.emplace(path, std::move(f));
  }
  for (auto& f : parse_files(doc, "special", what, false)) {
    p.special[f.path] |= f.access;
  }
  auto sc = doc.find("syscalls");
  if (sc != doc.end() && !sc->is_null()) {
    std::set<std::string> names;
    for (auto& n : get_strings(doc, "syscalls", what, "profile")) {
      names.insert(std::move(n));
    }
    p.syscalls = std::move(names);
  }
  return p;
}

namespace {

void
serialize_to(const Profile& p, const Sink& sink)
{
  ojson doc;
  doc["schema"] = text(p.schema);
  doc["image"] = {{"ref", text(p.image_ref)},
                  {"manifest_digest", text(p.manifest_digest)},
                  {"platform", text(p.platform)}};
  ojson runs = ojson::array();
  for (const auto& r : p.runs) {
    ojson run;
    run["argv"] = texts(r.argv);
    run["env"] = texts(r.env);
    run["workdir"] = text(r.workdir);
    run["user"] = text(r.user);
    run["exit_code"] = r.exit_code;
    run["signal"] = r.signal;
    run["duration_ms"] = r.duration_ms;
    if (!r.stdout_sha256.empty()) {
      run["stdout_sha256"] = text(r.stdout_sha256);
    }
    ojson probes = ojson::array();
    for (const auto& pr : r.probes) {
      ojson probe;
      probe["kind"] = text(pr.kind);
      probe["target"] = text(pr.target);
      probe["status"] = pr.status;
      probe["body_sha256"] = text(pr.body_sha256);
      probe["ok"] = pr.ok;
      probe["files"] = files_json(pr.files);
      probes.push_back(std::move(probe));
    }
    run["probes"] = std::move(probes);
    if (!r.needs_root.empty()) {
      run["needs_root"] = texts(r.needs_root);
    }
    if (!r.switched_user.empty()) {
      run["switched_user"] = text(r.switched_user);
    }
    if (!r.capabilities.empty()) {
      run["capabilities"] = texts(r.capabilities);
    }
    if (!r.refused.empty()) {
      ojson refused = ojson::object();
      for (const auto& [label, count] : r.refused) {
        refused[escape_profile_string(label)] = count;
      }
      run["refused"] = std::move(refused);
    }
    runs.push_back(std::move(run));
  }
  doc["runs"] = std::move(runs);
  // The same text as doc.dump(2) of the whole document, but files and special are written one entry at a
  // time: a JSON tree of a million paths would cost several times the paths themselves.
  std::string out = "{";
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    out += it == doc.begin() ? "\n  " : ",\n  ";
    out += ojson(it.key()).dump() + ": ";
    append_dumped(out, it.value(), 1);
  }
  out += ",\n  \"files\": ";
  append_entries(
      out, p.files,
      [](const auto& entry) {
        ojson f;
        f["path"] = text(entry.first);
        f["access"] = access_json(entry.second.access);
        if (!entry.second.link_target.empty()) {
          f["link_target"] = text(entry.second.link_target);
        }
        return f;
      },
      sink);
  out += ",\n  \"special\": ";
  append_entries(
      out, p.special,
      [](const auto& entry) {
        ojson f;
        f["path"] = text(entry.first);
        f["access"] = access_json(entry.second);
        return f;
      },
      sink);
  if (p.syscalls) {
    out += ",\n  \"syscalls\": ";
    append_dumped(out, texts(std::vector<std::string>(p.syscalls->begin(), p.syscalls->end())), 1);
  }
  out += "\n}\n";
  sink(out);
}

} // namespace

std::string
serialize_profile(const Profile& p)
{
  std::string text;
  serialize_to(p, [&text](const std::string& piece) { text += piece; });
  return text;
}

Profile
read_profile(const std::string& path)
{
  return parse_profile(util::read_bounded(path, k_max_profile_bytes, "profile"), path);
}

void
write_profile(const Profile& p, const std::string& path)
{
  util::AtomicOutput out(path, util::AtomicOutput::Kind::file);
  util::Fd fd(::open(out.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    throw_errno("write profile `" + path + "`");
  }
  // Written as it is serialised: the text of a large profile is never held whole.
  serialize_to(p, [&](const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw_errno("write profile `" + path + "`");
      }
      off += static_cast<size_t>(n);
    }
  });
  if (!fd.close()) {
    throw_errno("write profile `" + path + "`");
  }
  out.commit();
}

Profile
merge_profiles(const std::vector<Profile>& profiles, bool allow_mixed)
{
  Profile out;
  if (profiles.empty()) {
    return out;
  }
  out.image_ref = profiles.front().image_ref;
  out.manifest_digest = profiles.front().manifest_digest;
  out.platform = profiles.front().platform;
  bool all_syscalls = true;
  std::set<std::string> syscalls;
  for (const auto& p : profiles) {
    if (p.manifest_digest != out.manifest_digest && !allow_mixed) {
      throw BadInput("merge profiles: they name different images (" + out.manifest_digest + " and " +
                     p.manifest_digest + "); pass --allow-mixed to merge anyway");
    }
    out.runs.insert(out.runs.end(), p.runs.begin(), p.runs.end());
    for (const auto& [path, rec] : p.files) {
      FileRecord& dst = out.files[path];
      dst.path = path;
      dst.access |= rec.access;
      if (dst.link_target.empty()) {
        dst.link_target = rec.link_target;
      }
    }
    for (const auto& [path, bits] : p.special) {
      out.special[path] |= bits;
    }
    if (p.syscalls) {
      syscalls.insert(p.syscalls->begin(), p.syscalls->end());
    } else {
      all_syscalls = false;
    }
  }
  if (all_syscalls) {
    out.syscalls = std::move(syscalls);
  }
  return out;
}

} // namespace whittle::trace
