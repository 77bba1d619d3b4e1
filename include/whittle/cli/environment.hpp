#pragma once
// The environment variables that steer whittle's library stages. Only cli reads the environment: each
// variable is parsed here, once, with util/number's strict rules (an error names the variable and its
// value), and its value is passed down (an options field, or a process-wide default set before any work).
// An empty variable counts as unset. WHITTLE_PROFILES_DIR is read by rules_dir (build_options.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <whittle/archive/compression.hpp>

namespace whittle::cli {

// SOURCE_DATE_EPOCH: the date (seconds since 1970) of every mtime and of the history entry of an image
// whittle writes; nullopt when unset. Throws UsageError unless it is decimal digits within int64_t.
std::optional<int64_t> source_date_epoch();

// archive::DecodeLimits{} with WHITTLE_MAX_LAYER_BYTES (a size: digits with an optional K, M, G, T or
// KiB..TiB suffix) and WHITTLE_MAX_LAYER_RATIO (digits) over it when set. Throws UsageError for a value
// that is malformed or zero.
archive::DecodeLimits decode_limits();

// WHITTLE_MAX_IMAGE_BYTES (a size, as above), or nullopt when unset. Throws UsageError.
std::optional<uint64_t> max_image_bytes();

// $TMPDIR, else "/tmp": where work directories go when no --workdir names one.
std::string temp_root();

// Reads the limits above and makes them the library's process-wide defaults
// (archive::set_default_decode_limits, rootfs::set_default_max_image_bytes). run() calls it once, before
// a command starts. Throws UsageError.
void apply_environment_limits();

} // namespace whittle::cli
