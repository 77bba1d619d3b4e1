#include <sstream>
#include <whittle/cli/args.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/number.hpp>

namespace whittle::cli {

const std::vector<FlagSpec>&
global_flags()
{
  static const std::vector<FlagSpec> k_flags = {
      {"--json", "", "", "print the result as JSON on stdout"},
      {"--quiet", "-q", "", "print nothing on stderr but errors and warnings"},
      {"--verbose", "-v", "", "print more progress on stderr"},
      {"--debug", "", "", "print debugging detail on stderr"},
      {"--help", "-h", "", "show this help"},
  };
  return k_flags;
}

std::optional<std::string>
ParsedArgs::get(const std::string& flag) const
{
  auto it = values.find(flag);
  if (it == values.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second.back();
}

std::string
ParsedArgs::get_or(const std::string& flag, const std::string& fallback) const
{
  auto v = get(flag);
  return v ? *v : fallback;
}

std::vector<std::string>
ParsedArgs::all(const std::string& flag) const
{
  auto it = values.find(flag);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

std::optional<std::chrono::milliseconds>
ParsedArgs::get_seconds(const std::string& flag, double max_seconds) const
{
  auto v = get(flag);
  if (!v) {
    return std::nullopt;
  }
  auto ms = util::parse_seconds(*v, max_seconds);
  if (!ms) {
    throw UsageError(flag + " `" + *v + "`: expected a number of seconds greater than 0 and at most " +
                     std::to_string(static_cast<uint64_t>(max_seconds)));
  }
  return ms;
}

std::optional<uint64_t>
ParsedArgs::get_count(const std::string& flag, uint64_t min, uint64_t max) const
{
  auto v = get(flag);
  if (!v) {
    return std::nullopt;
  }
  auto n = util::parse_uint(*v, max);
  if (!n || *n < min) {
    throw UsageError(flag + " `" + *v + "`: expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  return n;
}

std::optional<std::string>
ParsedArgs::get_user(const std::string& flag) const
{
  auto v = get(flag);
  if (!v) {
    return std::nullopt;
  }
  size_t colon = v->find(':');
  std::string parts[2] = {v->substr(0, colon), colon == std::string::npos ? "" : v->substr(colon + 1)};
  for (size_t i = 0; i < (colon == std::string::npos ? 1 : 2); ++i) {
    const std::string& part = parts[i];
    const char* what = i == 0 ? "user" : "group";
    if (part.empty()) {
      throw UsageError(flag + " `" + *v + "`: the " + what + " is empty (expected USER[:GROUP])");
    }
    bool numeric = part.find_first_not_of("0123456789") == std::string::npos;
    if (numeric && !util::parse_id(part)) {
      throw UsageError(flag + " `" + *v + "`: " + what + " id " + part + " is out of range (0 to " +
                       std::to_string(util::k_max_id) + ")");
    }
  }
  return v;
}

std::vector<std::string>
ParsedArgs::all_at_most(const std::string& flag, size_t max) const
{
  std::vector<std::string> v = all(flag);
  if (v.size() > max) {
    throw UsageError(flag + " given " + std::to_string(v.size()) + " times: at most " + std::to_string(max) +
                     " are supported");
  }
  return v;
}

namespace {

const FlagSpec*
find_flag(const CommandSpec& spec, const std::string& name)
{
  for (const auto* list : {&spec.flags, &global_flags()}) {
    for (const auto& f : *list) {
      if (f.name == name || (!f.short_name.empty() && f.short_name == name)) {
        return &f;
      }
    }
  }
  return nullptr;
}

} // namespace

ParsedArgs
parse_args(const CommandSpec& spec, const std::vector<std::string>& argv)
{
  ParsedArgs out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      if (!spec.passthrough) {
        out.positional.insert(out.positional.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      } else {
        out.rest.assign(argv.begin() + static_cast<long>(i) + 1, argv.end());
      }
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::string name = a;
      std::optional<std::string> inline_value;
      size_t eq = a.find('=');
      if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
      }
      const FlagSpec* f = find_flag(spec, name);
      if (!f) {
        throw UsageError("unknown option `" + name + "` for `whittle " + spec.name + "` (see `whittle " +
                         spec.name + " --help`)");
      }
      if (f->name == "--help") {
        out.help = true;
        continue;
      }
      std::string value;
      if (!f->value_name.empty()) {
        if (inline_value) {
          value = *inline_value;
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          throw UsageError("option `" + f->name + "` needs a value (" + f->value_name + ")");
        }
      } else if (inline_value) {
        throw UsageError("option `" + f->name + "` takes no value");
      }
      auto& slot = out.values[f->name];
      if (!slot.empty() && !f->repeatable && !f->value_name.empty()) {
        throw UsageError("option `" + f->name + "` given more than once");
      }
      slot.push_back(value);
      continue;
    }
    out.positional.push_back(a);
  }
  if (out.help) {
    return out;
  }
  for (const char* loud : {"--verbose", "--debug"}) {
    if (out.has("--quiet") && out.has(loud)) {
      throw UsageError(std::string("--quiet and ") + loud + " contradict each other: give one of them");
    }
  }
  if (out.positional.size() < spec.min_positional || out.positional.size() > spec.max_positional) {
    throw UsageError("usage: whittle " + spec.name + " " + spec.usage);
  }
  return out;
}

std::string
help_text(const CommandSpec& spec)
{
  std::ostringstream o;
  o << "Usage: whittle " << spec.name << " " << spec.usage << "\n\n" << spec.summary << "\n";
  if (!spec.description.empty()) {
    o << "\n" << spec.description << "\n";
  }
  auto print = [&](const std::vector<FlagSpec>& flags) {
    for (const auto& f : flags) {
      std::string left = "  " + (f.short_name.empty() ? "    " : f.short_name + ", ") + f.name;
      if (!f.value_name.empty()) {
        left += " " + f.value_name;
      }
      if (left.size() < 32) {
        left.resize(32, ' ');
      } else {
        left += "\n" + std::string(32, ' ');
      }
      o << left << f.help << (f.repeatable ? " (repeatable)" : "") << "\n";
    }
  };
  if (!spec.flags.empty()) {
    o << "\nOptions:\n";
    print(spec.flags);
  }
  o << "\nGlobal options:\n";
  print(global_flags());
  return o.str();
}

} // namespace whittle::cli
