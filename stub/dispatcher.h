// The packet handler table. Each handler family registers its packets together with the
// qSupported features they implement, so the qSupported reply is derived from what is
// registered, never from a hand-kept string.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::stub {

class Session;
using PacketHandler = std::function<void(Session&, std::string_view packet)>;

class Dispatcher {
public:
  // `name` is a packet's name as packet_name() extracts it ("g", "Z", "qSupported", "vCont?").
  void add(const std::string& name, PacketHandler handler, std::vector<std::string> features = {});
  // A packet whose argument follows its name with no separator (LLDB's qThreadStopInfoTID),
  // tried when no name matches.
  void add_prefixed(const std::string& prefix, PacketHandler handler);
  // A qSupported feature that is a behaviour rather than a packet (e.g. "swbreak+").
  void add_feature(const std::string& feature) { features_.push_back(feature); }
  // --disable-packet: the named packets become unknown.
  void disable(const std::set<std::string>& names);

  // False when no handler knows the packet: the caller sends the empty reply.
  bool dispatch(Session& session, std::string_view packet) const;
  bool knows(const std::string& name) const { return handlers_.count(name) != 0; }
  const std::vector<std::string>& features() const { return features_; }

private:
  struct Entry {
    PacketHandler handler;
    std::vector<std::string> features;
  };
  std::map<std::string, Entry> handlers_;
  std::vector<std::pair<std::string, PacketHandler>> prefixed_;
  std::vector<std::string> features_;
};

// "qXfer:features:read:..." -> "qXfer"; "vCont?" -> "vCont?"; "m1000,4" -> "m"; "jThreadsInfo" -> itself.
std::string packet_name(std::string_view packet);

} // namespace xolstub::stub
