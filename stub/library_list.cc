#include "stub/library_list.h"

#include "rsp/hex.h"
#include "stub/xml_escape.h"

namespace xolstub::stub {
namespace {

std::string address(std::uint64_t value) { return "0x" + rsp::hex_number(value); }

void append_library(std::string& document, const threads::LinkMapEntry& entry, std::uint64_t lmid) {
  document += "<library name=\"" + xml_escape(entry.name) + "\" lm=\"" + address(entry.lm) +
              "\" l_addr=\"" + address(entry.l_addr) + "\" l_ld=\"" + address(entry.l_ld) +
              "\" lmid=\"" + address(lmid) + "\"/>";
}

// The tail GDB asked for: from `start` to the end of its namespace, if `start`'s back link
// agrees with what GDB believes precedes it.
void append_tail(std::string& document, const threads::Svr4LibraryList& list, const Svr4Annex& annex) {
  const auto& entries = list.entries;
  std::size_t first = 0;
  while (first < entries.size() && entries[first].lm != annex.start) ++first;
  if (first == entries.size() || entries[first].l_prev != annex.prev) return;
  for (std::size_t i = first; i < entries.size() && entries[i].lmid == entries[first].lmid; ++i)
    if (!entries[i].name.empty()) append_library(document, entries[i], annex.lmid);
}

} // namespace

std::optional<Svr4Annex> parse_svr4_annex(std::string_view annex) {
  Svr4Annex parsed;
  while (!annex.empty()) {
    std::size_t end = annex.find(';');
    std::string_view item = annex.substr(0, end);
    annex = end == std::string_view::npos ? std::string_view{} : annex.substr(end + 1);
    std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view key = item.substr(0, equals);
    std::uint64_t* field = key == "lmid" ? &parsed.lmid : key == "start" ? &parsed.start
                         : key == "prev" ? &parsed.prev : nullptr;
    if (!field) continue;
    std::optional<std::uint64_t> value = rsp::parse_hex_number(item.substr(equals + 1));
    if (!value) return std::nullopt;
    *field = *value;
  }
  return parsed;
}

std::string format_svr4_library_list(const threads::Svr4LibraryList& list, const Svr4Annex& annex,
                                     bool with_main_lm) {
  std::string document = "<library-list-svr4 version=\"1.0\"";
  if (annex.start != 0) {
    document += ">";
    append_tail(document, list, annex);
  } else {
    if (with_main_lm && list.main_lm != 0) document += " main-lm=\"" + address(list.main_lm) + "\"";
    document += ">";
    for (const threads::LinkMapEntry& entry : list.entries)
      if (entry.lm != list.main_lm && !entry.name.empty()) append_library(document, entry, entry.lmid);
  }
  document += "</library-list-svr4>";
  return document;
}

} // namespace xolstub::stub
