#include "io/strict_json.hpp"

#include <fmt/format.h>

#include <set>
#include <stdexcept>
#include <vector>

namespace xg::io::detail {

nlohmann::json parse_strict_json(const std::string& text) {
  using json = nlohmann::json;
  std::vector<std::set<std::string>> keys;  // one set per object open at this point
  std::string repeated;
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end) keys.pop_back();
    if (event == json::parse_event_t::key &&
        !keys.back().insert(parsed.get<std::string>()).second && repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  json value = json::parse(text, check);
  if (!repeated.empty())
    throw std::invalid_argument(
        fmt::format("the key \"{}\" appears twice in one object", repeated));
  return value;
}

}  // namespace xg::io::detail
