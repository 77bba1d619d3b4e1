#include <whittle/util/path.hpp>

namespace whittle::util {

std::vector<std::string>
split_components(std::string_view p)
{
  std::vector<std::string> out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) {
      j = p.size();
    }
    if (j > i) {
      out.emplace_back(p.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

namespace {

std::optional<std::string>
clean(std::string_view p, bool clamp)
{
  std::vector<std::string> parts;
  for (auto& c : split_components(p)) {
    if (c == ".") {
      continue;
    }
    if (c == "..") {
      if (parts.empty()) {
        if (!clamp) {
          return std::nullopt;
        }
        continue;
      }
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(c));
  }
  std::string out;
  for (auto& c : parts) {
    out += '/';
    out += c;
  }
  return out.empty() ? std::string("/") : out;
}

} // namespace

std::optional<std::string>
clean_in_root(std::string_view p)
{
  return clean(p, false);
}

std::string
clamp_to_root(std::string_view p)
{
  return *clean(p, true);
}

std::string
parent_path(std::string_view canonical)
{
  size_t slash = canonical.rfind('/');
  if (slash == std::string_view::npos || slash == 0) {
    return "/";
  }
  return std::string(canonical.substr(0, slash));
}

std::string
base_name(std::string_view canonical)
{
  size_t slash = canonical.rfind('/');
  return std::string(slash == std::string_view::npos ? canonical : canonical.substr(slash + 1));
}

std::string
join_in_root(std::string_view dir, std::string_view rel)
{
  if (!rel.empty() && rel[0] == '/') {
    return clamp_to_root(rel);
  }
  std::string joined(dir);
  joined += '/';
  joined += rel;
  return clamp_to_root(joined);
}

bool
is_within(std::string_view path, std::string_view dir)
{
  if (dir == "/") {
    return true;
  }
  return path == dir ||
         (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

namespace {

// Matches one bracket expression at p[0] == '[' against c; sets len to the expression's length.
// Returns nullopt when the bracket is unterminated (then '[' is a literal).
std::optional<bool>
match_class(std::string_view p, char c, size_t& len)
{
  size_t i = 1;
  bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
  if (negate) {
    ++i;
  }
  bool found = false;
  bool first = true;
  for (; i < p.size() && (first || p[i] != ']'); ++i, first = false) {
    char lo = p[i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
    }
    if (lo <= c && c <= hi) {
      found = true;
    }
  }
  if (i >= p.size()) {
    return std::nullopt;
  }
  len = i + 1;
  return found != negate;
}

// "*", "?" and "[...]" never match "/"; "**" matches anything, and "**/" also matches nothing.
bool
match_from(std::string_view p, std::string_view s)
{
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      std::string_view rest = p.substr(2);
      if (!rest.empty() && rest[0] == '/' && match_from(rest.substr(1), s)) {
        return true;
      }
      for (size_t i = 0; i <= s.size(); ++i) {
        if (match_from(rest, s.substr(i))) {
          return true;
        }
      }
      return false;
    }
    if (p[0] == '*') {
      for (size_t i = 0;; ++i) {
        if (match_from(p.substr(1), s.substr(i))) {
          return true;
        }
        if (i >= s.size() || s[i] == '/') {
          return false;
        }
      }
    }
    if (p == "/**" && s.empty()) {
      return true;
    }
    if (s.empty()) {
      return false;
    }
    if (p[0] == '?') {
      if (s[0] == '/') {
        return false;
      }
    } else if (p[0] == '[') {
      size_t len = 0;
      auto m = match_class(p, s[0], len);
      if (m) {
        if (!*m || s[0] == '/') {
          return false;
        }
        p.remove_prefix(len);
        s.remove_prefix(1);
        continue;
      }
      if (s[0] != '[') {
        return false;
      }
    } else if (p[0] != s[0]) {
      return false;
    }
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

} // namespace

bool
glob_match(std::string_view pattern, std::string_view path)
{
  return match_from(pattern, path);
}

} // namespace whittle::util
