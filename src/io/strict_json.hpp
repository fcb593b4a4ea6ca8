// JSON text from a file's metadata, parsed with a key named twice in one object refused:
// nlohmann's DOM parser keeps the last one silently, so {"lr": 1e-5, "lr": 1e300} would load
// as 1e300 without a word (internal).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace xg::io::detail {

// Throws nlohmann's json::exception for text that is not JSON, std::invalid_argument naming the
// key for an object with a repeated key.
nlohmann::json parse_strict_json(const std::string& text);

}  // namespace xg::io::detail
