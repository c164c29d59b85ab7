#include "breakpoints/hardware_points.h"

#include <algorithm>

namespace xolstub::breakpoints {

void HardwarePoints::apply(std::multimap<OwnerId, threads::HardwarePoint> owned) {
  std::vector<threads::HardwarePoint> points;
  for (const auto& [owner, point] : owned) points.push_back(point);
  inferior_.set_hardware_points(points);  // throws before anything changes when they do not fit
  owned_ = std::move(owned);
}

void HardwarePoints::insert(const threads::HardwarePoint& point, OwnerId owner) {
  auto [first, last] = owned_.equal_range(owner);
  if (std::any_of(first, last, [&](const auto& entry) { return entry.second == point; })) return;
  auto owned = owned_;
  owned.emplace(owner, point);
  apply(std::move(owned));
}

void HardwarePoints::remove(const threads::HardwarePoint& point, OwnerId owner) {
  auto owned = owned_;
  auto [first, last] = owned.equal_range(owner);
  auto it = std::find_if(first, last, [&](const auto& entry) { return entry.second == point; });
  if (it == last) return;
  owned.erase(it);
  apply(std::move(owned));
}

void HardwarePoints::remove_all_of(OwnerId owner) {
  auto owned = owned_;
  if (owned.erase(owner) == 0) return;
  apply(std::move(owned));
}

std::set<OwnerId> HardwarePoints::owners_of(threads::HardwareKind kind, std::uint64_t address) const {
  std::set<OwnerId> owners;
  for (const auto& [owner, point] : owned_)
    if (point.kind == kind && address >= point.address && address < point.address + std::max<std::uint64_t>(point.length, 1))
      owners.insert(owner);
  return owners;
}

} // namespace xolstub::breakpoints
