#include "stub/dispatcher.h"

#include <algorithm>

namespace xolstub::stub {

std::string packet_name(std::string_view packet) {
  if (packet.empty()) return {};
  char first = packet.front();
  // q, Q and v packets have names; so have LLDB's JSON packets (jThreadsInfo).
  if ((first != 'q' && first != 'Q' && first != 'v' && first != 'j') || packet.size() == 1) return std::string(1, first);
  auto end = packet.find_first_of(":;,?");
  if (end == std::string_view::npos) return std::string(packet);
  return std::string(packet.substr(0, packet[end] == '?' ? end + 1 : end));
}

void Dispatcher::add(const std::string& name, PacketHandler handler, std::vector<std::string> features) {
  for (const auto& feature : features) features_.push_back(feature);
  handlers_[name] = Entry{std::move(handler), std::move(features)};
}

void Dispatcher::disable(const std::set<std::string>& names) {
  std::erase_if(prefixed_, [&](const auto& entry) { return names.count(entry.first) != 0; });
  for (const auto& name : names) {
    auto it = handlers_.find(name);
    if (it == handlers_.end()) continue;
    for (const auto& feature : it->second.features)
      features_.erase(std::remove(features_.begin(), features_.end(), feature), features_.end());
    handlers_.erase(it);
  }
}

void Dispatcher::add_prefixed(const std::string& prefix, PacketHandler handler) {
  prefixed_.emplace_back(prefix, std::move(handler));
}

bool Dispatcher::dispatch(Session& session, std::string_view packet) const {
  auto it = handlers_.find(packet_name(packet));
  if (it != handlers_.end()) {
    it->second.handler(session, packet);
    return true;
  }
  for (const auto& [prefix, handler] : prefixed_) {
    if (!packet.starts_with(prefix)) continue;
    handler(session, packet);
    return true;
  }
  return false;
}

} // namespace xolstub::stub
